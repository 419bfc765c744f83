package directory

import (
	"context"
	"errors"
	"net/http"
	"path"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// LeftMessage is what every voice or video message records, in a
// mailbox or in the outbox to another region: whose it is, who left it,
// and its file.
type LeftMessage struct {
	ID            string    `gorm:"column:id;primaryKey"`
	AccountID     string    `gorm:"column:account_id"`
	Number        Number    `gorm:"column:number"`
	CallID        *string   `gorm:"column:call_id"`
	FromAccountID *string   `gorm:"column:from_account_id"`
	FromName      string    `gorm:"column:from_name"`
	FromNumber    *Number   `gorm:"column:from_number"`
	BlobKey       string    `gorm:"column:blob_key"`
	ContentType   string    `gorm:"column:content_type"`
	HasVideo      bool      `gorm:"column:has_video"`
	DurationMS    int64     `gorm:"column:duration_ms"`
	Bytes         int64     `gorm:"column:bytes"`
	CreatedAt     time.Time `gorm:"column:created_at"`
	// Status is messagePending until the file is stored, then messageReady;
	// only ready messages are shown (or sent on).
	Status string `gorm:"column:status"`
	// Node names the node whose blob store holds the file.
	Node string `gorm:"column:node"`
}

// Message is a voice or video message in a mailbox.
type Message struct {
	LeftMessage
	HeardAt *time.Time `gorm:"column:heard_at"`
}

// TableName tells GORM where messages live.
func (Message) TableName() string { return "messages" }

// leftMessage describes the message the caller of rec left in the file
// stored under key, pending until the file is stored.
func (c *Calls) leftMessage(rec *CallRecord, callerName, id, key string, res media.RecordingResult) LeftMessage {
	callID := rec.ID
	return LeftMessage{ID: id, AccountID: *rec.CalleeAccountID, Number: rec.CalleeNumber, CallID: &callID, FromAccountID: rec.CallerAccountID,
		FromName: callerName, FromNumber: rec.CallerNumber, BlobKey: key, ContentType: res.ContentType, HasVideo: res.ContentType == media.RecordingVideoType,
		DurationMS: res.Duration.Milliseconds(), Bytes: res.Bytes, CreatedAt: time.Now().UTC(), Status: messagePending, Node: c.node}
}

// saveMessage finishes a recording, stores its file in the blob store and
// lists it in the callee's mailbox (saveRecording: row first, as pending).
// A recording that holds no media leaves no message (media.ErrEmptyRecording).
func (c *Calls) saveMessage(rec *CallRecord, callerName string, r *media.Recorder) error {
	var msg *Message
	err := c.saveRecording(r, "msg_", path.Join("mailbox", *rec.CalleeAccountID), func(id, key string, res media.RecordingResult) recordingRow {
		msg = &Message{LeftMessage: c.leftMessage(rec, callerName, id, key, res)}
		return msg
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c.notifyMailbox(ctx, msg.AccountID)
	return nil
}

// notifyMailbox pushes the unheard count to the owner's devices.
func (c *Calls) notifyMailbox(ctx context.Context, accountID string) {
	n, err := c.unheard(ctx, accountID)
	if err != nil {
		return
	}
	var devices []string
	c.db.WithContext(ctx).Model(&deviceAccount{}).Where("account_id = ?", accountID).Pluck("device_id", &devices)
	for _, d := range devices {
		c.sig.SendToDevice(d, "mailbox.count", MailboxCountData{AccountID: accountID, Unheard: n})
	}
}

func (c *Calls) unheard(ctx context.Context, accountID string) (int64, error) {
	var n int64
	err := c.db.WithContext(ctx).Model(&Message{}).Where("account_id = ? AND status = ? AND heard_at IS NULL", accountID, messageReady).Count(&n).Error
	return n, err
}

// messageView is a message as its owner sees it.
type messageView struct {
	ID          string     `json:"id"`
	FromName    string     `json:"fromName"`
	FromNumber  *Number    `json:"fromNumber"`
	FromDisplay string     `json:"fromDisplay"`
	Number      Number     `json:"number"`
	CreatedAt   time.Time  `json:"createdAt"`
	DurationMS  int64      `json:"durationMs"`
	HasVideo    bool       `json:"hasVideo"`
	ContentType string     `json:"contentType"`
	Heard       bool       `json:"heard"`
	HeardAt     *time.Time `json:"heardAt"`
	MediaURL    string     `json:"mediaUrl"`
}

func viewMessage(m Message) messageView {
	v := messageView{ID: m.ID, FromName: m.FromName, FromNumber: m.FromNumber, Number: m.Number, CreatedAt: m.CreatedAt, DurationMS: m.DurationMS,
		HasVideo: m.HasVideo, ContentType: m.ContentType, Heard: m.HeardAt != nil, HeardAt: m.HeardAt, MediaURL: "/api/v1/mailbox/" + m.ID + "/media"}
	if m.FromNumber != nil {
		v.FromDisplay = m.FromNumber.String()
	}
	return v
}

// Routes registers the mailbox and call history on api. Every message is
// looked up together with its owner: another account's id answers 404.
func (c *Calls) Routes(api fiber.Router) {
	signedIn := auth.RequireRole(auth.RoleMember, auth.RoleAgent, auth.RoleSupervisor)
	api.Get("/mailbox", signedIn, c.handleMailbox)
	api.Get("/mailbox/:id/media", signedIn, c.handleMessageMedia)
	api.Patch("/mailbox/:id", signedIn, c.handleMarkHeard)
	api.Delete("/mailbox/:id", signedIn, c.handleDeleteMessage)
	api.Get("/calls", signedIn, c.handleCallHistory)
}

func (c *Calls) handleMailbox(ctx *fiber.Ctx) error {
	a := auth.CurrentAccount(ctx)
	var msgs []Message
	if err := c.db.WithContext(ctx.UserContext()).Where("account_id = ? AND status = ?", a.ID, messageReady).Order("created_at DESC").Limit(200).Find(&msgs).Error; err != nil {
		return err
	}
	out := make([]messageView, 0, len(msgs))
	unheard := 0
	for _, m := range msgs {
		out = append(out, viewMessage(m))
		if m.HeardAt == nil {
			unheard++
		}
	}
	return ctx.JSON(fiber.Map{"messages": out, "unheard": unheard, "ownGreeting": c.HasOwnGreeting(ctx.UserContext(), a.ID)})
}

// ownMessage loads a message of the signed-in account, or NotFound: a
// message of someone else is indistinguishable from no message.
func (c *Calls) ownMessage(ctx *fiber.Ctx) (*Message, error) {
	a := auth.CurrentAccount(ctx)
	id := ctx.Params("id")
	var m Message
	err := c.db.WithContext(ctx.UserContext()).Where("id = ? AND account_id = ? AND status = ?", id, a.ID, messageReady).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no message %q in your mailbox", id)
	}
	return &m, err
}

func (c *Calls) handleMessageMedia(ctx *fiber.Ctx) error {
	m, err := c.ownMessage(ctx)
	if err != nil {
		return err
	}
	return c.sendRecording(ctx, m.BlobKey, m.ContentType)
}

// sendRecording answers with a message's recording from the blob store,
// whichever node stored it. http.ServeContent answers Range requests (a
// player seeking), If-Modified-Since and HEAD, reading only the chunks it
// needs.
func (c *Calls) sendRecording(ctx *fiber.Ctx, key, contentType string) error {
	f, info, err := c.blobs.Open(ctx.UserContext(), key)
	if errors.Is(err, blob.ErrNotFound) {
		return apperr.New(apperr.NotFound, "the recording of this message is gone")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return adaptor.HTTPHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(fiber.HeaderContentType, contentType)
		w.Header().Set(fiber.HeaderCacheControl, "private, max-age=3600")
		http.ServeContent(w, r, "", info.ModTime, f)
	})(ctx)
}

// markRequest is the body of PATCH /mailbox/{id}.
type markRequest struct {
	Heard *bool `json:"heard" required:"true"`
}

func (c *Calls) handleMarkHeard(ctx *fiber.Ctx) error {
	m, err := c.ownMessage(ctx)
	if err != nil {
		return err
	}
	var req markRequest
	if err := web.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	var heard any
	if *req.Heard {
		now := time.Now().UTC()
		heard = now
		m.HeardAt = &now
	} else {
		m.HeardAt = nil
	}
	if err := c.db.WithContext(ctx.UserContext()).Model(&Message{}).Where("id = ? AND account_id = ?", m.ID, m.AccountID).Update("heard_at", heard).Error; err != nil {
		return err
	}
	c.notifyMailbox(ctx.UserContext(), m.AccountID)
	return ctx.JSON(fiber.Map{"message": viewMessage(*m)})
}

func (c *Calls) handleDeleteMessage(ctx *fiber.Ctx) error {
	m, err := c.ownMessage(ctx)
	if err != nil {
		return err
	}
	if err := c.db.WithContext(ctx.UserContext()).Where("id = ? AND account_id = ?", m.ID, m.AccountID).Delete(&Message{}).Error; err != nil {
		return err
	}
	if err := c.blobs.Delete(ctx.UserContext(), m.BlobKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
		return err
	}
	c.notifyMailbox(ctx.UserContext(), m.AccountID)
	return ctx.SendStatus(fiber.StatusNoContent)
}

func (c *Calls) handleCallHistory(ctx *fiber.Ctx) error {
	a := auth.CurrentAccount(ctx)
	var calls []CallRecord
	// Calls to one's own number record a greeting: not calls to list.
	err := c.db.WithContext(ctx.UserContext()).Where("(caller_account_id = ? OR callee_account_id = ?) AND caller_account_id <> callee_account_id", a.ID, a.ID).
		Order("started_at DESC").Limit(100).Find(&calls).Error
	if err != nil {
		return err
	}
	return ctx.JSON(fiber.Map{"calls": calls})
}
