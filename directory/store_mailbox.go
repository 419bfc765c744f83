package directory

import (
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/media"
)

// StoreMessage is a message a shopper left for a store when no agent could
// take the call; the store's agents and supervisors read it in the desk.
type StoreMessage struct {
	ID            string     `gorm:"column:id;primaryKey" json:"id"`
	StoreID       int64      `gorm:"column:store_id" json:"-"`
	EntryID       *string    `gorm:"column:entry_id" json:"entryId"`
	FromAccountID *string    `gorm:"column:from_account_id" json:"-"`
	FromName      string     `gorm:"column:from_name" json:"fromName"`
	FromNumber    *Number    `gorm:"column:from_number" json:"fromNumber"`
	BlobKey       string     `gorm:"column:blob_key" json:"-"`
	ContentType   string     `gorm:"column:content_type" json:"contentType"`
	HasVideo      bool       `gorm:"column:has_video" json:"hasVideo"`
	DurationMS    int64      `gorm:"column:duration_ms" json:"durationMs"`
	Bytes         int64      `gorm:"column:bytes" json:"bytes"`
	CreatedAt     time.Time  `gorm:"column:created_at" json:"createdAt"`
	HeardAt       *time.Time `gorm:"column:heard_at" json:"heardAt"`
	// Status is messagePending until the file is stored, then messageReady;
	// only ready messages are shown.
	Status string `gorm:"column:status" json:"-"`
	// Node names the node whose blob store holds the file.
	Node string `gorm:"column:node" json:"-"`
}

// TableName tells GORM where store messages live.
func (StoreMessage) TableName() string { return "store_messages" }

// saveStoreMessage finishes a recording left for a store and files it in
// the store's mailbox (saveRecording: row first, as pending).
func (c *Calls) saveStoreMessage(rec *CallRecord, link *queueLink, callerName string, r *media.Recorder) error {
	err := c.saveRecording(r, "smsg_", path.Join("stores", fmt.Sprint(link.storeID), "mailbox"), func(id, key string, res media.RecordingResult) recordingRow {
		entry := link.entryID
		return &StoreMessage{ID: id, StoreID: link.storeID, EntryID: &entry, FromAccountID: rec.CallerAccountID, FromName: callerName, FromNumber: rec.CallerNumber,
			BlobKey: key, ContentType: res.ContentType, HasVideo: res.ContentType == "video/webm", DurationMS: res.Duration.Milliseconds(), Bytes: res.Bytes,
			CreatedAt: time.Now().UTC(), Status: messagePending, Node: c.node}
	})
	if err != nil {
		return fmt.Errorf("file store message: %w", err)
	}
	return nil
}

// StoreMailboxRoutes registers the desk's view of the store's mailbox:
// its agents and supervisors read the messages shoppers left for it.
func (c *Calls) StoreMailboxRoutes(api fiber.Router) {
	staff := auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor)
	api.Get("/desk/mailbox", staff, c.handleStoreMailbox)
	api.Get("/desk/mailbox/:id/media", staff, c.handleStoreMessageMedia)
	api.Post("/desk/mailbox/:id/heard", staff, c.handleStoreMessageHeard)
}

func (c *Calls) handleStoreMailbox(ctx *fiber.Ctx) error {
	a := auth.CurrentAccount(ctx)
	if a.StoreID == nil {
		return apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	var msgs []StoreMessage
	if err := c.db.WithContext(ctx.UserContext()).Where("store_id = ? AND status = ?", *a.StoreID, messageReady).Order("created_at DESC").Limit(200).Find(&msgs).Error; err != nil {
		return err
	}
	type view struct {
		StoreMessage
		FromDisplay string `json:"fromDisplay,omitempty"`
		Member      bool   `json:"member"`
	}
	out := make([]view, 0, len(msgs))
	unheard := 0
	for _, m := range msgs {
		v := view{StoreMessage: m, Member: m.FromAccountID != nil}
		if m.FromNumber != nil {
			v.FromDisplay = m.FromNumber.String()
		}
		if m.HeardAt == nil {
			unheard++
		}
		out = append(out, v)
	}
	return ctx.JSON(fiber.Map{"messages": out, "unheard": unheard})
}

// storeMessage returns a message of the signed-in staff member's store; any
// other is NotFound.
func (c *Calls) storeMessage(ctx *fiber.Ctx) (*StoreMessage, error) {
	a := auth.CurrentAccount(ctx)
	var m StoreMessage
	err := c.db.WithContext(ctx.UserContext()).Where("id = ? AND store_id = ? AND status = ?", ctx.Params("id"), a.StoreID, messageReady).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || a.StoreID == nil {
		return nil, apperr.New(apperr.NotFound, "no message %q for your store", ctx.Params("id"))
	}
	return &m, err
}

func (c *Calls) handleStoreMessageMedia(ctx *fiber.Ctx) error {
	m, err := c.storeMessage(ctx)
	if err != nil {
		return err
	}
	return c.sendRecording(ctx, m.BlobKey, m.ContentType)
}

func (c *Calls) handleStoreMessageHeard(ctx *fiber.Ctx) error {
	m, err := c.storeMessage(ctx)
	if err != nil {
		return err
	}
	if err := c.db.WithContext(ctx.UserContext()).Model(&StoreMessage{}).Where("id = ? AND heard_at IS NULL", m.ID).Update("heard_at", time.Now().UTC()).Error; err != nil {
		return err
	}
	return ctx.SendStatus(fiber.StatusNoContent)
}
