package mail

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// captureLog sends slog's default logger to a buffer until the test ends.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

func TestOutboxWritesEmlFile(t *testing.T) {
	logs := captureLog(t)
	dir := filepath.Join(t.TempDir(), "outbox", "nested")
	o := NewOutbox(dir, "livemall <noreply@livemall.example>")
	o.now = func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("x", 3600)) }
	text := "Hello Ana,\n\nconfirm: https://livemall.example/phone/?verify=tok_123 then http://second.example\n"
	if err := o.Send(context.Background(), Message{To: "ana@example.com", Subject: "Confirm your email for livemall", Text: text}); err != nil {
		t.Fatalf("Send: %v", err)
	}

	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() || info.Mode().Perm() != 0o750 {
		t.Fatalf("outbox dir: %v, %v; want a directory with mode 0750", info, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("outbox holds %d files, want 1 (no temp files left): %v", len(entries), entries)
	}
	name := entries[0].Name()
	if !regexp.MustCompile(`^20260304T040607\.000000008Z-[0-9a-f]{12}\.eml$`).MatchString(name) {
		t.Fatalf("file name %q, want <UTC timestamp>-<random>.eml", name)
	}
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	p := parseComposed(t, raw)
	if got := p.header.Get("Subject"); got != "Confirm your email for livemall" {
		t.Errorf("Subject = %q", got)
	}
	if got := p.header.Get("To"); got != "ana@example.com" {
		t.Errorf("To = %q", got)
	}
	if got := p.header.Get("Date"); got != "Wed, 04 Mar 2026 04:06:07 +0000" {
		t.Errorf("Date = %q, want it in UTC", got)
	}
	if !strings.Contains(p.body, "https://livemall.example/phone/?verify=tok_123") {
		t.Errorf("body lacks the link: %q", p.body)
	}

	log := logs.String()
	for _, want := range []string{`msg="mail written to outbox"`, "to=ana@example.com", `link="https://livemall.example/phone/?verify=tok_123"`, "path=" + filepath.Join(dir, name)} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestOutboxRefusesHeaderInjection(t *testing.T) {
	dir := t.TempDir()
	o := NewOutbox(dir, "noreply@livemall.example")
	for _, m := range []Message{
		{To: "ana@example.com\r\nBcc: eve@example.com", Subject: "Hi", Text: "x"},
		{To: "ana@example.com", Subject: "Hi\nBcc: eve@example.com", Text: "x"},
	} {
		if err := o.Send(context.Background(), m); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("Send(%q, %q) = %v, want invalid", m.To, m.Subject, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("refused messages left files: %v", entries)
	}
}

func TestOutboxBadFromFails(t *testing.T) {
	o := NewOutbox(t.TempDir(), "not an address")
	if err := o.Send(context.Background(), Message{To: "ana@example.com", Subject: "Hi", Text: "x"}); err == nil || !strings.Contains(err.Error(), "from address") {
		t.Fatalf("Send with a bad From = %v, want an error naming the from address", err)
	}
}

func TestOutboxFileNamesSortByTime(t *testing.T) {
	dir := t.TempDir()
	o := NewOutbox(dir, "noreply@livemall.example")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		o.now = func() time.Time { return base.Add(time.Duration(i) * time.Millisecond) }
		if err := o.Send(context.Background(), Message{To: "ana@example.com", Subject: "n" + string(rune('0'+i)), Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir) // sorted by name
	for i, e := range entries {
		raw, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if got := parseComposed(t, raw).header.Get("Subject"); got != "n"+string(rune('0'+i)) {
			t.Errorf("file %d (%s) has subject %q", i, e.Name(), got)
		}
	}
}
