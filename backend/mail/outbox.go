package mail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Outbox is a Sender that writes each message as an .eml file into a
// directory instead of sending it, and logs where it went together with the
// first link in the text, so that a developer can follow verification and
// invitation links without a mail server.
type Outbox struct {
	dir  string
	from string
	now  func() time.Time
}

// NewOutbox returns an Outbox writing into dir, created (mode 0750) on the
// first message if missing. from is the From header, a bare address or one
// with a display name; an invalid one makes every Send fail.
func NewOutbox(dir, from string) *Outbox {
	return &Outbox{dir: dir, from: from, now: time.Now}
}

// Dir returns the directory the outbox writes to.
func (o *Outbox) Dir() string { return o.dir }

// linkPattern finds the first http(s) link in a message's text.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Send writes m to a new file named <UTC timestamp>-<random>.eml. The file
// appears complete or not at all: it is written under a temporary name and
// renamed.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	from, err := parseFrom(o.from)
	if err != nil {
		return err
	}
	now := o.now().UTC()
	raw := compose(from, m, now)
	if err := os.MkdirAll(o.dir, 0o750); err != nil {
		return fmt.Errorf("mail: create outbox: %w", err)
	}
	name := now.Format("20060102T150405.000000000Z") + "-" + randomHex(6) + ".eml"
	path := filepath.Join(o.dir, name)
	if err := writeFileAtomic(o.dir, path, raw); err != nil {
		return fmt.Errorf("mail: write to outbox: %w", err)
	}
	slog.Info("mail written to outbox", "to", m.To, "subject", m.Subject, "path", path,
		"link", linkPattern.FindString(m.Text))
	return nil
}

// writeFileAtomic writes data to a temporary file in dir, syncs it and
// renames it to path. The file is readable by its owner only, as messages
// carry one-time links.
func writeFileAtomic(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
