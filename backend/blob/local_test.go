package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

func newTestLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	return l
}

// tmpEntries lists what is left in the store's temp folder.
func tmpEntries(t *testing.T, l *Local) []string {
	t.Helper()
	entries, err := os.ReadDir(l.tmp)
	if err != nil {
		t.Fatalf("read temp folder: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestBlobRoundTrip(t *testing.T) { eachStore(t, testBlobRoundTrip) }

func testBlobRoundTrip(t *testing.T, l Store) {
	ctx := t.Context()
	body := bytes.Repeat([]byte("voicemail "), 10_000)
	before := time.Now().Add(-time.Second)

	info, err := l.Put(ctx, "voicemail/2026/abc-1.webm", bytes.NewReader(body), "video/webm")
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := Info{Key: "voicemail/2026/abc-1.webm", Size: int64(len(body)), ContentType: "video/webm"}
	if info.Key != want.Key || info.Size != want.Size || info.ContentType != want.ContentType || info.ModTime.Before(before) {
		t.Fatalf("Put info = %+v, want %+v and a recent ModTime", info, want)
	}

	f, got, err := l.Open(ctx, "voicemail/2026/abc-1.webm")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got != info {
		t.Errorf("Open info = %+v, want %+v", got, info)
	}
	// Ranges: seek into the middle, read, seek back.
	if _, err := f.Seek(100, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	part := make([]byte, 10)
	if _, err := io.ReadFull(f, part); err != nil || !bytes.Equal(part, body[100:110]) {
		t.Fatalf("read at 100 = %q, %v; want %q", part, err, body[100:110])
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	all, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(all, body) {
		t.Fatalf("ReadAll: %d bytes, %v; want %d bytes", len(all), err, len(body))
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Replacing keeps one blob with the new content and type.
	if _, err := l.Put(ctx, "voicemail/2026/abc-1.webm", strings.NewReader("short"), "audio/ogg"); err != nil {
		t.Fatalf("Put again: %v", err)
	}
	f, got, err = l.Open(ctx, "voicemail/2026/abc-1.webm")
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	all, _ = io.ReadAll(f)
	f.Close()
	if string(all) != "short" || got.Size != 5 || got.ContentType != "audio/ogg" {
		t.Fatalf("after replace: %q %+v", all, got)
	}

	// An empty content type is stored as the default.
	info, err = l.Put(ctx, "plain", strings.NewReader(""), "")
	if err != nil || info.ContentType != DefaultContentType || info.Size != 0 {
		t.Fatalf("Put empty: %+v, %v", info, err)
	}

	if err := l.Delete(ctx, "voicemail/2026/abc-1.webm"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, _, err := l.Open(ctx, "voicemail/2026/abc-1.webm"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after Delete: %v, want ErrNotFound", err)
	}
	if err := l.Delete(ctx, "voicemail/2026/abc-1.webm"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v, want ErrNotFound", err)
	}
	if l, ok := l.(*Local); ok {
		if _, err := os.Stat(filepath.Join(l.Dir(), "voicemail/2026/.abc-1.webm.meta")); !os.IsNotExist(err) {
			t.Errorf("sidecar left after Delete: %v", err)
		}
	}
	if left := leftovers(t, l); len(left) != 0 {
		t.Errorf("unfinished uploads left: %v", left)
	}
}

func TestBlobNotFound(t *testing.T) { eachStore(t, testBlobNotFound) }

func testBlobNotFound(t *testing.T, l Store) {
	ctx := t.Context()
	if _, err := l.Put(ctx, "a/b", strings.NewReader("x"), "text/plain"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	for _, key := range []string{"missing", "a", "a/b/c", "a/missing"} {
		_, _, err := l.Open(ctx, key)
		if !errors.Is(err, ErrNotFound) || apperr.Code(err) != apperr.NotFound {
			t.Errorf("Open(%q) = %v, want ErrNotFound with code not_found", key, err)
		}
		if err := l.Delete(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete(%q) = %v, want ErrNotFound", key, err)
		}
	}
	if _, err := l.Put(ctx, "c", strings.NewReader("x"), "not a type"); apperr.Code(err) != apperr.Invalid {
		t.Errorf("Put with a bad content type = %v, want invalid", err)
	}
	if _, _, err := l.Open(ctx, "c"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after a refused Put = %v, want ErrNotFound", err)
	}
	if left := leftovers(t, l); len(left) != 0 {
		t.Errorf("unfinished uploads left: %v", left)
	}
}

// TestLocalKeysAreFilesOrFolders: on disk "a" is a folder of other blobs
// or a blob, never both; Objects has no folders (TestObjectsHaveNoFolders).
func TestLocalKeysAreFilesOrFolders(t *testing.T) {
	ctx := t.Context()
	l := newTestLocal(t)
	if _, err := l.Put(ctx, "a/b", strings.NewReader("x"), "text/plain"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// "a" is a folder of other blobs and "a/b" a blob: neither can become
	// the other.
	if _, err := l.Put(ctx, "a", strings.NewReader("x"), ""); apperr.Code(err) != apperr.Conflict {
		t.Errorf("Put over a folder = %v, want conflict", err)
	}
	if _, err := l.Put(ctx, "a/b/c", strings.NewReader("x"), ""); apperr.Code(err) != apperr.Conflict {
		t.Errorf("Put through a file = %v, want conflict", err)
	}
	if left := tmpEntries(t, l); len(left) != 0 {
		t.Errorf("temp folder not empty: %v", left)
	}
}

func TestBlobKeys(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"voicemail/2026/01/abc-DEF_1.webm", true},
		{"a.b.c", true},
		{"a..b", true},
		{"-_", true},
		{strings.Repeat("x", maxSegmentLen), true},
		{strings.Repeat("x/", maxKeyLen/2-1) + "x", true},
		{"", false},
		{"/abs", false},
		{"trailing/", false},
		{"a//b", false},
		{".", false},
		{"..", false},
		{"a/../b", false},
		{"../escape", false},
		{"a/..", false},
		{"./a", false},
		{".hidden", false},
		{".tmp/x", false},
		{"a/.b.meta", false},
		{`a\b`, false},
		{"a b", false},
		{"a:b", false},
		{"é", false},
		{"a\x00b", false},
		{"a\nb", false},
		{strings.Repeat("x", maxSegmentLen+1), false},
		{strings.Repeat("x/", maxKeyLen/2) + "x", false},
	}
	ctx := t.Context()
	for _, tt := range tests {
		err := CheckKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("CheckKey(%.40q) = %v, want ok=%v", tt.key, err, tt.ok)
			continue
		}
		if tt.ok {
			continue
		}
		if apperr.Code(err) != apperr.Invalid {
			t.Errorf("CheckKey(%.40q) code = %q, want invalid", tt.key, apperr.Code(err))
		}
	}
	// Every store refuses the same keys, before touching anything.
	eachStore(t, func(t *testing.T, l Store) {
		for _, tt := range tests {
			if tt.ok {
				continue
			}
			if _, err := l.Put(ctx, tt.key, strings.NewReader("x"), ""); apperr.Code(err) != apperr.Invalid {
				t.Errorf("Put(%.40q) = %v, want invalid", tt.key, err)
			}
			if _, _, err := l.Open(ctx, tt.key); apperr.Code(err) != apperr.Invalid {
				t.Errorf("Open(%.40q) = %v, want invalid", tt.key, err)
			}
			if err := l.Delete(ctx, tt.key); apperr.Code(err) != apperr.Invalid {
				t.Errorf("Delete(%.40q) = %v, want invalid", tt.key, err)
			}
			if _, err := l.List(ctx, tt.key); tt.key != "" && apperr.Code(err) != apperr.Invalid {
				t.Errorf("List(%.40q) = %v, want invalid", tt.key, err)
			}
		}
		if got := keysOf(t, l, ""); len(got) != 0 {
			t.Errorf("refused keys left blobs: %v", got)
		}
	})
}

// failingReader yields n bytes, then fails.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

func TestBlobInterruptedPut(t *testing.T) { eachStore(t, testBlobInterruptedPut) }

func testBlobInterruptedPut(t *testing.T, l Store) {
	ctx := t.Context()
	broken := errors.New("connection reset")

	// A new key stays absent, whether the reader fails within the first
	// chunk or after several (the object store's are 128 KiB).
	for _, n := range []int{100_000, 5*objectChunkSize + 1000} {
		_, err := l.Put(ctx, "voicemail/new.ogg", &failingReader{n: n, err: broken}, "audio/ogg")
		if !errors.Is(err, broken) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
		if _, _, err := l.Open(ctx, "voicemail/new.ogg"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Open after failed Put = %v, want ErrNotFound", err)
		}
		if got := keysOf(t, l, ""); len(got) != 0 {
			t.Fatalf("List after failed Put = %v, want none", got)
		}
	}

	// An existing key keeps its old content.
	if _, err := l.Put(ctx, "voicemail/old.ogg", strings.NewReader("old"), "audio/ogg"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	for _, n := range []int{10, 3*objectChunkSize + 10} {
		if _, err := l.Put(ctx, "voicemail/old.ogg", &failingReader{n: n, err: broken}, "video/webm"); !errors.Is(err, broken) {
			t.Fatalf("Put = %v, want the reader's error", err)
		}
		f, info, err := l.Open(ctx, "voicemail/old.ogg")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != "old" || info.Size != 3 || info.ContentType != "audio/ogg" {
			t.Fatalf("after failed replace: %q %+v", b, info)
		}
		if got := keysOf(t, l, "voicemail"); !slices.Equal(got, []string{"voicemail/old.ogg"}) {
			t.Fatalf("List after failed replace = %v", got)
		}
	}

	// A context that ends midway stops the copy the same way.
	cctx, cancel := context.WithCancel(ctx)
	r := io.MultiReader(strings.NewReader("start"), readerFunc(func(p []byte) (int, error) {
		cancel()
		return copy(p, "more"), nil
	}), &failingReader{n: 1 << 20})
	if _, err := l.Put(cctx, "voicemail/canceled.ogg", r, "audio/ogg"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with canceled context = %v, want context.Canceled", err)
	}
	if _, _, err := l.Open(ctx, "voicemail/canceled.ogg"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after canceled Put = %v, want ErrNotFound", err)
	}

	if left := leftovers(t, l); len(left) != 0 {
		t.Errorf("unfinished uploads left behind: %v", left)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestBlobSweepTemp(t *testing.T) {
	l := newTestLocal(t)
	// What a crash midway through Puts leaves: temp files, even a folder.
	for _, name := range []string{"put-1", "put-2"} {
		if err := os.WriteFile(filepath.Join(l.tmp, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(l.tmp, "odd/deeper"), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(t.Context(), "kept", strings.NewReader("kept"), ""); err != nil {
		t.Fatalf("Put: %v", err)
	}

	// A store opened again on the same folder sweeps them.
	l2, err := NewLocal(l.Dir())
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	n, err := l2.SweepTemp()
	if err != nil || n != 3 {
		t.Fatalf("SweepTemp = %d, %v; want 3, nil", n, err)
	}
	if left := tmpEntries(t, l2); len(left) != 0 {
		t.Errorf("temp folder not empty: %v", left)
	}
	if n, err := l2.SweepTemp(); err != nil || n != 0 {
		t.Errorf("second SweepTemp = %d, %v; want 0, nil", n, err)
	}
	f, _, err := l2.Open(t.Context(), "kept")
	if err != nil {
		t.Fatalf("blob lost by the sweep: %v", err)
	}
	f.Close()
}

func TestBlobSidecarMismatch(t *testing.T) {
	ctx := t.Context()
	l := newTestLocal(t)
	if _, err := l.Put(ctx, "a.webm", strings.NewReader("12345"), "video/webm"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// As if a crash fell between the sidecar's rename and the data's: the
	// data no longer has the size the sidecar describes.
	if err := os.WriteFile(filepath.Join(l.Dir(), "a.webm"), []byte("123"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, info, err := l.Open(ctx, "a.webm")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	f.Close()
	if info.ContentType != DefaultContentType || info.Size != 3 {
		t.Fatalf("Open info = %+v, want the default content type", info)
	}
}

// FuzzBlobKey checks that an accepted key always names a file inside the
// store's folder, never in its temp folder or a sidecar's place, and that it
// round-trips.
func FuzzBlobKey(f *testing.F) {
	for _, seed := range []string{"a", "a/b.webm", "..", "a/../b", "/x", ".tmp/x", "a//b", `a\b`, "a/.b.meta", "voicemail/2026/x-1.ogg"} {
		f.Add(seed)
	}
	dir := f.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if err := CheckKey(key); err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("CheckKey(%q) = %v, want an invalid error", key, err)
			}
			return
		}
		data, side := l.paths(key)
		for _, p := range []string{data, side} {
			rel, err := filepath.Rel(l.Dir(), p)
			if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
				t.Fatalf("key %q maps to %q, outside %q", key, p, l.Dir())
			}
			// Inside the temp folder, not merely named like it: key "tmp" has
			// its sidecar at DIR/.tmp.meta, beside the folder.
			if rel == tmpDirName || strings.HasPrefix(rel, tmpDirName+string(filepath.Separator)) {
				t.Fatalf("key %q maps into the temp folder: %q", key, p)
			}
		}
		if filepath.Clean(data) != data {
			t.Fatalf("key %q maps to unclean path %q", key, data)
		}
		if filepath.ToSlash(strings.TrimPrefix(data, l.Dir()+string(filepath.Separator))) != key {
			t.Fatalf("key %q maps to %q", key, data)
		}
		if filepath.Base(side)[0] != '.' {
			t.Fatalf("sidecar %q of %q could clash with a key", side, key)
		}
		// Round trip; a key can clash with an earlier one used as a folder
		// (or the other way round), which must be refused, not mixed up.
		ctx := t.Context()
		_, err := l.Put(ctx, key, strings.NewReader(key), "text/plain")
		if apperr.Code(err) == apperr.Conflict {
			return
		}
		if err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
		rc, info, err := l.Open(ctx, key)
		if err != nil {
			t.Fatalf("Open(%q): %v", key, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != key || info.ContentType != "text/plain" {
			t.Fatalf("Open(%q) = %q %+v", key, b, info)
		}
		if err := l.Delete(ctx, key); err != nil {
			t.Fatalf("Delete(%q): %v", key, err)
		}
	})
}
