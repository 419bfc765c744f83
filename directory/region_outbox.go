package directory

// Messages left for members homed in another region. When the member's
// region cannot be reached the caller may leave a message all the same
// (call.dial with message: the room opens straight into the mailbox). The
// member's account and mailbox are in their region's database, so the
// message is kept here, in region_outbox and this region's blob store
// under outbox/<account>/, until every node's outbox sweep delivers it
// (region_inbox.go answers there): an offer, then the file in chunks.
// Only the answer Delivered marks the row delivered (a guarded update),
// and the answering region keeps a message once by its id, so a delivery
// repeated after a lost acknowledgement makes no second message.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/media"
)

// Outbox statuses beyond messagePending and messageReady: delivered (the
// member's region keeps it; the file here is gone), or undeliverable (the
// region has no such member, or takes no message that long: kept here,
// never tried again).
const (
	outboxDelivered     = "delivered"
	outboxUndeliverable = "undeliverable"
)

// How the outbox is swept: how often, how many messages a sweep takes,
// how long a node holds a message it is delivering (other nodes leave it
// alone meanwhile), and the longest pause between tries of one message.
const (
	outboxSweep      = 2 * time.Second
	outboxBatch      = 10
	outboxClaim      = 2 * time.Minute
	outboxMaxBackoff = 10 * time.Second
	// outboxChunkTimeout bounds one chunk's request.
	outboxChunkTimeout = 10 * time.Second
)

// OutboxMessage is a message kept here for a member of another region.
type OutboxMessage struct {
	LeftMessage
	HomeRegion  string     `gorm:"column:home_region"`
	Attempts    int        `gorm:"column:attempts"`
	NextTryAt   time.Time  `gorm:"column:next_try_at"`
	DeliveredAt *time.Time `gorm:"column:delivered_at"`
}

// TableName tells GORM where the outbox lives.
func (OutboxMessage) TableName() string { return "region_outbox" }

// saveOutboxMessage keeps the message a caller left for a member of
// another region (saveRecording: row first, as pending), due at once.
func (c *Calls) saveOutboxMessage(rec *CallRecord, callerName, region string, r *media.Recorder) error {
	err := c.saveRecording(r, "msg_", path.Join("outbox", *rec.CalleeAccountID), func(id, key string, res media.RecordingResult) recordingRow {
		m := c.leftMessage(rec, callerName, id, key, res)
		return &OutboxMessage{LeftMessage: m, HomeRegion: region, NextTryAt: m.CreatedAt}
	})
	if err == nil {
		c.kickOutbox()
	}
	return err
}

// kickOutbox makes the outbox sweep run now.
func (c *Calls) kickOutbox() {
	if c.outboxKick == nil {
		return
	}
	select {
	case c.outboxKick <- struct{}{}:
	default:
	}
}

// sweepOutbox delivers due messages every outboxSweep until stop.
func (c *Calls) sweepOutbox(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(outboxSweep)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		case <-c.outboxKick:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if _, err := c.DeliverOutbox(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("deliver messages to other regions", "err", err)
		}
		cancel()
	}
}

// DeliverOutbox tries once each message due (at most outboxBatch): it
// claims the message (a guarded update, so one node delivers it at a
// time), delivers it, and marks it delivered, or due again after a pause
// that grows with its tries. It returns how many were delivered.
func (c *Calls) DeliverOutbox(ctx context.Context) (int, error) {
	var due []OutboxMessage
	now := time.Now().UTC()
	if err := c.db.WithContext(ctx).Where("status = ? AND next_try_at <= ?", messageReady, now).Order("next_try_at").Limit(outboxBatch).Find(&due).Error; err != nil {
		return 0, fmt.Errorf("find messages to deliver: %w", err)
	}
	delivered := 0
	for _, m := range due {
		r := c.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ? AND status = ? AND attempts = ?", m.ID, messageReady, m.Attempts).
			Updates(map[string]any{"next_try_at": now.Add(outboxClaim), "attempts": m.Attempts + 1})
		if r.Error != nil {
			return delivered, fmt.Errorf("claim message %s: %w", m.ID, r.Error)
		}
		if r.RowsAffected != 1 {
			continue // another node took it
		}
		err := c.deliverOne(ctx, m)
		var refused *regionRefusal
		if errors.As(err, &refused) && (refused.Code == apperr.NotFound || refused.Code == apperr.TooLarge) {
			// Asking again would be answered the same.
			slog.Warn("a message its member's region will not take", "message", m.ID, "region", m.HomeRegion, "err", err)
			c.db.Model(&OutboxMessage{}).Where("id = ? AND status = ?", m.ID, messageReady).Update("status", outboxUndeliverable)
			continue
		}
		if err != nil {
			backoff := min(time.Duration(m.Attempts+1)*outboxSweep, outboxMaxBackoff)
			c.db.Model(&OutboxMessage{}).Where("id = ? AND status = ?", m.ID, messageReady).Update("next_try_at", time.Now().UTC().Add(backoff))
			if !apperr.Is(err, apperr.Unavailable) {
				slog.Warn("deliver a message to another region", "message", m.ID, "region", m.HomeRegion, "err", err)
			}
			continue
		}
		delivered++
		r = c.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ? AND status = ?", m.ID, messageReady).
			Updates(map[string]any{"status": outboxDelivered, "delivered_at": time.Now().UTC()})
		if r.Error != nil {
			return delivered, fmt.Errorf("mark message %s delivered: %w", m.ID, r.Error)
		}
		if err := c.blobs.Delete(ctx, m.BlobKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
			slog.Warn("remove a delivered message's file", "message", m.ID, "err", err)
		}
	}
	return delivered, nil
}

// deliverOne offers m to its member's region and, unless it is kept there
// already, sends its file in chunks to the node that took the offer. nil
// only when the region answered Delivered. A region that does not answer
// is Unavailable.
func (c *Calls) deliverOne(ctx context.Context, m OutboxMessage) error {
	f, info, err := c.blobs.Open(ctx, m.BlobKey)
	if err != nil {
		return fmt.Errorf("open message %s: %w", m.ID, err)
	}
	defer f.Close()
	if info.Size != m.Bytes {
		return fmt.Errorf("message %s holds %d bytes, its row says %d", m.ID, info.Size, m.Bytes)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read message %s: %w", m.ID, err)
	}
	offer := RegionMessageRequest{Kind: regionMessageOffer, ID: m.ID, AccountID: m.AccountID, Number: m.Number, FromName: m.FromName,
		FromNumber: m.FromNumber, ContentType: m.ContentType, DurationMS: max(m.DurationMS, 1), Bytes: m.Bytes,
		SHA256: hex.EncodeToString(h.Sum(nil)), CreatedAt: m.CreatedAt.UTC()}
	ans, err := c.askRegion(ctx, regionMessageSubject(m.HomeRegion), offer, ringTimeout)
	if err != nil || ans.Delivered {
		return err
	}
	if ans.Node == "" {
		return fmt.Errorf("region %s took message %s without naming a node", m.HomeRegion, m.ID)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, regionChunkBytes)
	for off := int64(0); off < m.Bytes; {
		n, err := io.ReadFull(f, buf[:min(int64(len(buf)), m.Bytes-off)])
		if err != nil {
			return fmt.Errorf("read message %s: %w", m.ID, err)
		}
		ans, err := c.askRegion(ctx, regionNodeMessageSubject(m.HomeRegion, ans.Node), regionChunk{Kind: regionMessageChunk, ID: m.ID, Offset: off, Data: buf[:n]}, outboxChunkTimeout)
		if err != nil {
			return err
		}
		off += int64(n)
		if ans.Delivered != (off == m.Bytes) {
			return fmt.Errorf("region %s answered chunk at %d of message %s with delivered=%v", m.HomeRegion, off, m.ID, ans.Delivered)
		}
	}
	return nil
}

// regionChunk is a chunk request as sent: its offset even when 0.
type regionChunk struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Offset int64  `json:"offset"`
	Data   []byte `json:"data"`
}

// askRegion sends one request of a delivery and reads its answer; an
// error answer is returned as that error, no answer as Unavailable.
func (c *Calls) askRegion(ctx context.Context, subject string, req any, timeout time.Duration) (RegionMessageAnswer, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return RegionMessageAnswer{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reply, err := c.bus.RequestWithContext(rctx, subject, body)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			return RegionMessageAnswer{}, apperr.New(apperr.Unavailable, "the member's region cannot be reached right now")
		}
		return RegionMessageAnswer{}, fmt.Errorf("%s: %w", subject, err)
	}
	ans, err := ParseRegionMessageAnswer(reply.Data)
	if err != nil {
		return RegionMessageAnswer{}, fmt.Errorf("%s: %w", subject, err)
	}
	if ans.Error != nil {
		return RegionMessageAnswer{}, &regionRefusal{Code: ans.Error.Code, Message: ans.Error.Message}
	}
	return ans, nil
}

// regionRefusal is the member's region's error answer to a delivery, set
// apart from this node's own errors (a file here not found is not a member
// there not found).
type regionRefusal struct{ Code, Message string }

// Error says the region refused, and why.
func (r *regionRefusal) Error() string {
	return "the member's region refused (" + r.Code + "): " + r.Message
}
