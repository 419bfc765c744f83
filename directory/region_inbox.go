package directory

// The answering side of messages left in another region for this region's
// members (the sending side is region_outbox.go). An offer arrives on
// lm.region.<r>.message, answered by one node of the region (a queue
// group): it checks the member is homed here and not already given the
// message, and names itself; the chunks then go to that node's own
// subject, in order, into a scratch file. The last chunk's file, whole
// and matching its SHA-256, is kept as any local message is (fileRecording:
// row pending, file, row ready) under the message's id from the other
// region, so a delivery repeated after a lost acknowledgement finds the
// message kept and makes no second one.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"os"
	"path"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// regionMessageQueue is the queue group of a region's nodes taking offers.
const regionMessageQueue = "lm-region-message"

// Bounds of the messages a node takes in at once, and how long one may
// stand still before its scratch file is dropped.
const (
	maxInboundMessages = 16
	inboundIdle        = 2 * time.Minute
)

// regionMessageSubject is where the nodes of region take offers.
func regionMessageSubject(region string) string { return "lm.region." + region + ".message" }

// regionNodeMessageSubject is where one node of region (by its token)
// takes the chunks of the messages it accepted.
func regionNodeMessageSubject(region, token string) string {
	return regionMessageSubject(region) + "." + token
}

// nodeToken names node in a subject: 32 hex digits of its name's hash.
func nodeToken(node string) string {
	sum := sha256.Sum256([]byte(node))
	return hex.EncodeToString(sum[:16])
}

// inbound is a message being received by this node.
type inbound struct {
	offer   RegionMessageRequest
	file    *os.File
	got     int64
	sum     hash.Hash
	touched time.Time
}

// regionInbox is this node's side of messages from other regions.
type regionInbox struct {
	mu      sync.Mutex
	pending map[string]*inbound
	subs    []*nats.Subscription
}

// answerRegionMessages makes this node one of its region's takers of
// messages from other regions (nothing with one region).
func (c *Calls) answerRegionMessages() error {
	if c.dir.regions == nil || c.bus == nil {
		return nil
	}
	c.inbox = &regionInbox{pending: map[string]*inbound{}}
	region := c.dir.Numbers.plan.Region
	handle := func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ans, err := c.takeRegionMessage(ctx, m.Data)
		if err != nil {
			if apperr.Code(err) == apperr.Internal {
				slog.Error("message from another region", "err", err)
			}
			ans = RegionMessageAnswer{Error: &web.ErrorDetail{Code: apperr.Code(err), Message: apperr.Message(err)}}
		}
		if m.Reply != "" {
			reply, _ := json.Marshal(ans)
			m.Respond(reply)
		}
	}
	offers, err := c.bus.QueueSubscribe(regionMessageSubject(region), regionMessageQueue, handle)
	if err != nil {
		return err
	}
	chunks, err := c.bus.Subscribe(regionNodeMessageSubject(region, nodeToken(c.node)), handle)
	if err != nil {
		offers.Unsubscribe()
		return err
	}
	c.inbox.subs = []*nats.Subscription{offers, chunks}
	return nil
}

// closeInbox stops taking messages and drops what is half received.
func (c *Calls) closeInbox() {
	if c.inbox == nil {
		return
	}
	for _, s := range c.inbox.subs {
		s.Unsubscribe()
	}
	c.inbox.mu.Lock()
	defer c.inbox.mu.Unlock()
	for id, in := range c.inbox.pending {
		c.inbox.dropLocked(id, in)
	}
}

// takeRegionMessage answers one request (an offer or a chunk).
func (c *Calls) takeRegionMessage(ctx context.Context, data []byte) (RegionMessageAnswer, error) {
	req, err := ParseRegionMessageRequest(data)
	if err != nil {
		return RegionMessageAnswer{}, err
	}
	if req.Kind == regionMessageOffer {
		return c.takeOffer(ctx, req)
	}
	return c.takeChunk(ctx, req)
}

// takeOffer accepts a message for a member homed here, unless it is kept
// already (Delivered) or the member is not this region's (NotFound, with
// nothing said of who they are).
func (c *Calls) takeOffer(ctx context.Context, req RegionMessageRequest) (RegionMessageAnswer, error) {
	refs, err := c.dir.accounts.Refs(ctx, []string{req.AccountID})
	if err != nil {
		return RegionMessageAnswer{}, fmt.Errorf("home region of %s: %w", req.AccountID, err)
	}
	if ref, ok := refs[req.AccountID]; !ok || ref.HomeRegion != c.dir.Numbers.plan.Region {
		return RegionMessageAnswer{}, apperr.New(apperr.NotFound, "nobody of this region has the account %s", req.AccountID)
	}
	if limit := c.cfg.MaxMessage + maxMessageOverrun; time.Duration(req.DurationMS)*time.Millisecond > limit {
		return RegionMessageAnswer{}, apperr.New(apperr.TooLarge, "a message here lasts at most %v", c.cfg.MaxMessage)
	}
	if kept, err := c.keptMessage(ctx, req.ID, req.AccountID); err != nil || kept {
		return RegionMessageAnswer{Delivered: kept}, err
	}
	if err := os.MkdirAll(c.cfg.ScratchDir, 0o700); err != nil {
		return RegionMessageAnswer{}, fmt.Errorf("scratch folder: %w", err)
	}
	f, err := os.CreateTemp(c.cfg.ScratchDir, "region-message-*")
	if err != nil {
		return RegionMessageAnswer{}, fmt.Errorf("scratch file: %w", err)
	}
	in := c.inbox
	in.mu.Lock()
	defer in.mu.Unlock()
	now := time.Now()
	for id, old := range in.pending {
		if id == req.ID || now.Sub(old.touched) > inboundIdle {
			in.dropLocked(id, old) // an offer made again starts over
		}
	}
	if len(in.pending) >= maxInboundMessages {
		f.Close()
		os.Remove(f.Name())
		return RegionMessageAnswer{}, apperr.New(apperr.Unavailable, "this node takes in %d messages at once: offer it again later", maxInboundMessages)
	}
	in.pending[req.ID] = &inbound{offer: req, file: f, sum: sha256.New(), touched: now}
	return RegionMessageAnswer{Node: nodeToken(c.node)}, nil
}

// maxMessageOverrun is how far past the longest message a recording may
// run: the recorder stops at the first packet beyond it.
const maxMessageOverrun = 2 * time.Second

// keptMessage reports whether the message id is kept for accountID here
// (ready). An id pending, or another member's, is Conflict: the sender
// tries again later.
func (c *Calls) keptMessage(ctx context.Context, id, accountID string) (bool, error) {
	var m Message
	err := c.db.WithContext(ctx).Select("account_id, status").Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find message %s: %w", id, err)
	}
	if m.AccountID == accountID && m.Status == messageReady {
		return true, nil
	}
	return false, apperr.New(apperr.Conflict, "the message %s is being kept here: offer it again later", id)
}

// takeChunk appends a chunk to its message, in order; the last one files
// the message.
func (c *Calls) takeChunk(ctx context.Context, req RegionMessageRequest) (RegionMessageAnswer, error) {
	in := c.inbox
	in.mu.Lock()
	msg := in.pending[req.ID]
	if msg == nil {
		in.mu.Unlock()
		return RegionMessageAnswer{}, apperr.New(apperr.NotFound, "no message %s is being received here: offer it first", req.ID)
	}
	if req.Offset != msg.got || msg.got+int64(len(req.Data)) > msg.offer.Bytes {
		in.dropLocked(req.ID, msg)
		in.mu.Unlock()
		return RegionMessageAnswer{}, apperr.New(apperr.Invalid, "the chunk at %d does not follow the %d bytes received of %d", req.Offset, msg.got, msg.offer.Bytes)
	}
	if _, err := msg.file.Write(req.Data); err != nil {
		in.dropLocked(req.ID, msg)
		in.mu.Unlock()
		return RegionMessageAnswer{}, fmt.Errorf("scratch file: %w", err)
	}
	msg.sum.Write(req.Data)
	msg.got += int64(len(req.Data))
	msg.touched = time.Now()
	if msg.got < msg.offer.Bytes {
		in.mu.Unlock()
		return RegionMessageAnswer{}, nil
	}
	delete(in.pending, req.ID)
	in.mu.Unlock()

	defer os.Remove(msg.file.Name())
	if err := msg.file.Close(); err != nil {
		return RegionMessageAnswer{}, fmt.Errorf("scratch file: %w", err)
	}
	if hex.EncodeToString(msg.sum.Sum(nil)) != msg.offer.SHA256 {
		return RegionMessageAnswer{}, apperr.New(apperr.Invalid, "the message %s does not match its SHA-256", req.ID)
	}
	return c.fileRegionMessage(ctx, msg.offer, msg.file.Name())
}

// fileRegionMessage keeps a received message in its member's mailbox and
// tells their devices. A message with the same id kept meanwhile (a
// delivery repeated at once) answers Delivered as well.
func (c *Calls) fileRegionMessage(ctx context.Context, o RegionMessageRequest, file string) (RegionMessageAnswer, error) {
	ext := ".ogg"
	if o.ContentType == media.RecordingVideoType {
		ext = ".webm"
	}
	key := path.Join("mailbox", o.AccountID, o.ID+ext)
	row := &Message{LeftMessage: LeftMessage{ID: o.ID, AccountID: o.AccountID, Number: o.Number, FromName: o.FromName, FromNumber: o.FromNumber, BlobKey: key,
		ContentType: o.ContentType, HasVideo: o.ContentType == media.RecordingVideoType, DurationMS: o.DurationMS, Bytes: o.Bytes,
		CreatedAt: o.CreatedAt, Status: messagePending, Node: c.node}}
	res := media.RecordingResult{Path: file, ContentType: o.ContentType, Duration: time.Duration(o.DurationMS) * time.Millisecond, Bytes: o.Bytes}
	if err := c.fileRecording(ctx, row, o.ID, key, res); err != nil {
		if kept, kerr := c.keptMessage(ctx, o.ID, o.AccountID); kerr == nil && kept {
			return RegionMessageAnswer{Delivered: true}, nil
		}
		return RegionMessageAnswer{}, err
	}
	c.notifyMailbox(ctx, o.AccountID)
	if c.notifier != nil {
		number := ""
		if o.FromNumber != nil {
			number = o.FromNumber.String()
		}
		go func() {
			nctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c.notifier.Missed(nctx, o.AccountID, NoticeMessage, o.FromName, number, row.HasVideo)
		}()
	}
	return RegionMessageAnswer{Delivered: true}, nil
}

// dropLocked forgets a message being received and removes its scratch
// file. Called with mu held.
func (in *regionInbox) dropLocked(id string, msg *inbound) {
	delete(in.pending, id)
	msg.file.Close()
	os.Remove(msg.file.Name())
}
