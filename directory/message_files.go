package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/media"
)

// Message statuses. A message's row is written first, as pending, then its
// file, then the row turns ready in a guarded update; only ready messages
// are listed, played or counted. A crash at any point leaves either a
// pending row (settled by SweepMessages at the next start) or a ready row
// with its file, never a file without a row.
const (
	messagePending = "pending"
	messageReady   = "ready"
)

// pendingGrace is how old another node's pending row must be before this
// node settles it: far longer than a save may take (fileRecording's
// context lasts a minute), so a node never settles a save still running
// elsewhere. A node settles its own pending rows at start regardless of age.
const pendingGrace = time.Hour

// sweepBatch is how many file keys one query checks for rows.
const sweepBatch = 500

// mailboxTables are the tables whose rows own recordings in the blob store.
var mailboxTables = []string{Message{}.TableName(), StoreMessage{}.TableName(), OutboxMessage{}.TableName()}

// recordingRow is a row that owns a recording: a *Message or a
// *StoreMessage, with Status messagePending.
type recordingRow interface{ TableName() string }

// saveRecording is the one way a recorded message is kept: it finishes r,
// names the message prefix + a fresh id, keys its file under dir (.ogg for
// audio, .webm for video), builds its row with rowOf and files it
// (fileRecording). The scratch file is removed in every case. A recording
// that holds no media keeps nothing (media.ErrEmptyRecording).
func (c *Calls) saveRecording(r *media.Recorder, prefix, dir string, rowOf func(id, key string, res media.RecordingResult) recordingRow) error {
	res, err := r.Finish()
	if err != nil {
		return err
	}
	defer removeQuietly(res.Path)
	id := prefix + newCallID()[5:]
	ext := ".ogg"
	if res.ContentType == "video/webm" {
		ext = ".webm"
	}
	key := path.Join(dir, id+ext)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return c.fileRecording(ctx, rowOf(id, key, res), id, key, res)
}

// fileRecording stores the finished recording res under key for row,
// whose id is id: it inserts row (pending), puts the file, then marks the
// row ready only if it is still pending. On failure it removes what it
// wrote (row first, so a file never outlives its row) and returns the error.
func (c *Calls) fileRecording(ctx context.Context, row recordingRow, id, key string, res media.RecordingResult) error {
	f, err := os.Open(res.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := c.db.WithContext(ctx).Create(row).Error; err != nil {
		return fmt.Errorf("list message: %w", err)
	}
	if _, err := c.blobs.Put(ctx, key, f, res.ContentType); err != nil {
		c.dropPending(row.TableName(), id, key)
		return fmt.Errorf("store message file: %w", err)
	}
	r := c.db.WithContext(ctx).Table(row.TableName()).Where("id = ? AND status = ?", id, messagePending).Update("status", messageReady)
	if err := r.Error; err != nil || r.RowsAffected != 1 {
		if err == nil {
			err = fmt.Errorf("message %s is no longer pending", id)
		}
		c.dropPending(row.TableName(), id, key)
		return fmt.Errorf("mark message ready: %w", err)
	}
	return nil
}

// dropPending removes a pending row and then its file. When either step
// fails, what is left (a pending row, or a file without a row) is settled
// by the next SweepMessages.
func (c *Calls) dropPending(table, id, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := c.deletePending(ctx, table, id)
	if r.Error != nil || r.RowsAffected != 1 {
		slog.Warn("drop pending message", "message", id, "err", r.Error, "rows", r.RowsAffected)
		return
	}
	if err := c.blobs.Delete(ctx, key); err != nil && !errors.Is(err, blob.ErrNotFound) {
		slog.Warn("drop pending message file", "message", id, "key", key, "err", err)
	}
}

// deletePending deletes the row id of table (one of mailboxTables) if it is
// still pending.
func (c *Calls) deletePending(ctx context.Context, table, id string) *gorm.DB {
	return c.db.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE id = ? AND status = ?", id, messagePending)
}

// Swept reports what SweepMessages found after a crash.
type Swept struct {
	// CallsClosed counts calls this node hosted that a crash left open.
	CallsClosed int64
	// Recovered counts pending messages whose file was stored whole: they
	// are now listed.
	Recovered int
	// Dropped counts pending messages without a whole file: removed.
	Dropped int
	// Orphans counts message files without a row: removed.
	Orphans int
}

// SweepMessages repairs what a crash of this node left behind. It must run
// at start, before this node takes calls (other nodes may be running):
//
//   - calls this node hosted that are not ended (their rooms died with the
//     process) are ended as connection_lost, so their callers may dial again;
//   - pending messages of this node, and those of any node older than an
//     hour, are settled: a message whose file is stored whole (its size
//     matches the row) turns ready, any other is removed, row first;
//   - message files in this node's blob store without a row (a crash
//     between removing a row and its file) are removed. Rows are written
//     before files, so a save running on another node is never touched.
func (c *Calls) SweepMessages(ctx context.Context) (Swept, error) {
	var s Swept
	now := time.Now().UTC()
	r := c.db.WithContext(ctx).Model(&CallRecord{}).Where("node = ? AND state <> ?", c.node, callEnded).
		Updates(map[string]any{"state": callEnded, "outcome": outcomeConnectionLost, "ended_at": now})
	if r.Error != nil {
		return s, fmt.Errorf("close calls left open: %w", r.Error)
	}
	s.CallsClosed = r.RowsAffected
	for _, table := range mailboxTables {
		if err := c.settlePending(ctx, table, now, &s); err != nil {
			return s, err
		}
	}
	if err := c.removeOrphanFiles(ctx, &s); err != nil {
		return s, err
	}
	return s, nil
}

// settlePending settles the pending rows of table that SweepMessages owns.
func (c *Calls) settlePending(ctx context.Context, table string, now time.Time, s *Swept) error {
	var rows []struct {
		ID      string
		BlobKey string
		Bytes   int64
	}
	err := c.db.WithContext(ctx).Table(table).Select("id, blob_key, bytes").
		Where("status = ? AND (node = ? OR created_at < ?)", messagePending, c.node, now.Add(-pendingGrace)).Find(&rows).Error
	if err != nil {
		return fmt.Errorf("find pending messages: %w", err)
	}
	for _, row := range rows {
		if c.wholeFile(ctx, row.BlobKey, row.Bytes) {
			r := c.db.WithContext(ctx).Table(table).Where("id = ? AND status = ?", row.ID, messagePending).Update("status", messageReady)
			if r.Error != nil {
				return fmt.Errorf("recover message %s: %w", row.ID, r.Error)
			}
			s.Recovered += int(r.RowsAffected)
			continue
		}
		r := c.deletePending(ctx, table, row.ID)
		if r.Error != nil {
			return fmt.Errorf("drop message %s: %w", row.ID, r.Error)
		}
		if r.RowsAffected == 1 {
			s.Dropped++
			if err := c.blobs.Delete(ctx, row.BlobKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
				return fmt.Errorf("drop message file %s: %w", row.BlobKey, err)
			}
		}
	}
	return nil
}

// wholeFile reports whether the blob store holds key with size bytes. Puts
// are atomic, so a file there is whole unless it is another one.
func (c *Calls) wholeFile(ctx context.Context, key string, size int64) bool {
	f, info, err := c.blobs.Open(ctx, key)
	if err != nil {
		return false
	}
	f.Close()
	return info.Size == size
}

// removeOrphanFiles deletes message files that no row owns.
func (c *Calls) removeOrphanFiles(ctx context.Context, s *Swept) error {
	var keys []string
	for _, prefix := range []string{"mailbox", "stores", "outbox"} {
		infos, err := c.blobs.List(ctx, prefix)
		if err != nil {
			return fmt.Errorf("list message files: %w", err)
		}
		for _, in := range infos {
			if isMessageKey(in.Key) {
				keys = append(keys, in.Key)
			}
		}
	}
	for len(keys) > 0 {
		batch := keys[:min(sweepBatch, len(keys))]
		keys = keys[len(batch):]
		owned := map[string]bool{}
		for _, table := range mailboxTables {
			var found []string
			if err := c.db.WithContext(ctx).Table(table).Where("blob_key IN ?", batch).Pluck("blob_key", &found).Error; err != nil {
				return fmt.Errorf("find message rows: %w", err)
			}
			for _, k := range found {
				owned[k] = true
			}
		}
		for _, k := range batch {
			if owned[k] {
				continue
			}
			if err := c.blobs.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
				return fmt.Errorf("remove orphan message file %s: %w", k, err)
			}
			s.Orphans++
		}
	}
	return nil
}

// isMessageKey reports whether key is where saveMessage, saveStoreMessage
// or saveOutboxMessage puts a recording: mailbox/ACCOUNT/FILE,
// stores/STORE/mailbox/FILE or outbox/ACCOUNT/FILE. Other files
// (greetings) have no rows.
func isMessageKey(key string) bool {
	parts := strings.Split(key, "/")
	switch {
	case len(parts) == 3 && (parts[0] == "mailbox" || parts[0] == "outbox"):
		return true
	case len(parts) == 4 && parts[0] == "stores" && parts[2] == "mailbox":
		return true
	}
	return false
}
