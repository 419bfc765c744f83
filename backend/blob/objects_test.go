package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// patterned returns n bytes that differ from one offset to the next, so a
// read from the wrong place shows.
func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestBlobRangesOverHTTP serves a blob of several object-store chunks with
// http.ServeContent, as the mailbox does, and asks for ranges: the first
// bytes, a middle run across a chunk boundary, the last bytes, several at
// once, and one beyond the end (416).
func TestBlobRangesOverHTTP(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		body := patterned(3*objectChunkSize + 12345)
		mustPut(t, s, "mailbox/acc/msg.webm", string(body), "video/webm")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, info, err := s.Open(r.Context(), "mailbox/acc/msg.webm")
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", info.ContentType)
			http.ServeContent(w, r, "", info.ModTime, f)
		}))
		defer srv.Close()
		n := len(body)
		tests := []struct {
			rng    string
			status int
			want   []byte
		}{
			{"", 200, body},
			{"bytes=0-99", 206, body[:100]},
			{fmt.Sprintf("bytes=%d-%d", objectChunkSize-10, 2*objectChunkSize+9), 206, body[objectChunkSize-10 : 2*objectChunkSize+10]},
			{"bytes=-100", 206, body[n-100:]},
			{fmt.Sprintf("bytes=%d-", n-1), 206, body[n-1:]},
			{fmt.Sprintf("bytes=%d-", n), 416, nil},
			{fmt.Sprintf("bytes=%d-%d", n+10, n+20), 416, nil},
		}
		for _, tt := range tests {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Errorf("Range %q: status %d, want %d", tt.rng, res.StatusCode, tt.status)
				continue
			}
			if tt.status == 206 || tt.status == 200 {
				if !bytes.Equal(got, tt.want) || res.Header.Get("Content-Type") != "video/webm" {
					t.Errorf("Range %q: %d bytes of %s, want %d bytes", tt.rng, len(got), res.Header.Get("Content-Type"), len(tt.want))
				}
			}
		}
		// Two ranges at once come as multipart/byteranges.
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=10-19,%d-%d", 2*objectChunkSize, 2*objectChunkSize+9))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 206 || !bytes.Contains(got, body[10:20]) || !bytes.Contains(got, body[2*objectChunkSize:2*objectChunkSize+10]) {
			t.Errorf("two ranges: status %d, %d bytes", res.StatusCode, len(got))
		}
	})
}

// TestBlobSeeksBackAndForth reads a many-chunk blob from offsets in an
// order that jumps forward and back, across chunk boundaries and to the
// end.
func TestBlobSeeksBackAndForth(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		body := patterned(4*objectChunkSize + 7)
		mustPut(t, s, "big", string(body), "")
		f, info, err := s.Open(t.Context(), "big")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if info.Size != int64(len(body)) {
			t.Fatalf("size %d, want %d", info.Size, len(body))
		}
		for _, off := range []int64{3*objectChunkSize - 5, 10, 4 * objectChunkSize, objectChunkSize, 2*objectChunkSize + 100, 0} {
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			part := make([]byte, min(int64(20), int64(len(body))-off))
			if _, err := io.ReadFull(f, part); err != nil || !bytes.Equal(part, body[off:off+int64(len(part))]) {
				t.Fatalf("read at %d: %v", off, err)
			}
		}
		if end, err := f.Seek(0, io.SeekEnd); err != nil || end != int64(len(body)) {
			t.Fatalf("Seek end = %d, %v", end, err)
		}
		if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Fatalf("read at the end = %d, %v; want io.EOF", n, err)
		}
		if _, err := f.Seek(-1, io.SeekStart); err == nil {
			t.Fatal("Seek to -1 succeeded")
		}
		if cur, _ := f.Seek(-7, io.SeekEnd); cur != int64(len(body))-7 {
			t.Fatalf("Seek(-7, end) = %d", cur)
		}
		rest, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(rest, body[len(body)-7:]) {
			t.Fatalf("the last 7 bytes: %q, %v", rest, err)
		}
	})
}

// TestObjectsHaveNoFolders: in the object store "a" and "a/b" can both be
// blobs; listing "a" shows only what lies under it.
func TestObjectsHaveNoFolders(t *testing.T) {
	o := newTestObjects(t)
	mustPut(t, o, "a/b", "under", "")
	mustPut(t, o, "a", "beside", "")
	mustPut(t, o, "a/b/c", "deeper", "")
	if got := keysOf(t, o, "a"); strings.Join(got, " ") != "a/b a/b/c" {
		t.Fatalf("List(a) = %v", got)
	}
	f, _, err := o.Open(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "beside" {
		t.Fatalf("a = %q", b)
	}
}

// TestObjectsSurviveALostBucket: when NATS loses the bucket (a restart
// without its data), the next calls create it again instead of failing
// until the process restarts.
func TestObjectsSurviveALostBucket(t *testing.T) {
	o := newTestObjects(t)
	mustPut(t, o, "k", "before", "")
	if err := o.js.DeleteObjectStore(t.Context(), o.Bucket()); err != nil {
		t.Fatal(err)
	}
	var err error
	for range 2 { // the first call may find out; the next must work
		if _, _, err = o.Open(t.Context(), "k"); errors.Is(err, ErrNotFound) {
			break
		}
	}
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after the bucket was lost = %v, want ErrNotFound", err)
	}
	mustPut(t, o, "k", "after", "text/plain")
	f, info, err := o.Open(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "after" || info.ContentType != "text/plain" {
		t.Fatalf("k = %q %+v", b, info)
	}
}

// TestObjectsAreSharedByConnections: two Objects on the same NATS (two
// nodes) see each other's blobs at once.
func TestObjectsAreSharedByConnections(t *testing.T) {
	js := startJetStream(t)
	a, err := NewObjects(t.Context(), js, ObjectsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewObjects(t.Context(), js, ObjectsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	put := mustPut(t, a, "mailbox/x/m.ogg", "recorded on a", "audio/ogg")
	f, got, err := b.Open(t.Context(), "mailbox/x/m.ogg")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(f)
	f.Close()
	if string(body) != "recorded on a" || got != put {
		t.Fatalf("b reads %q %+v, a stored %+v", body, got, put)
	}
	if err := b.Delete(t.Context(), "mailbox/x/m.ogg"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Open(t.Context(), "mailbox/x/m.ogg"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a after b deleted: %v", err)
	}
}

// TestMoveLocalMovesEachFileOnce lays out a Local's folder (blobs with
// their content types, an upload a crash left, a file whose name is no
// key), moves it into an Objects, and moves again: nothing is lost,
// nothing moves twice, and a crash between copy and removal only copies
// again.
func TestMoveLocalMovesEachFileOnce(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "blobs")
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	big := patterned(2*objectChunkSize + 3)
	files := map[string]struct{ body, ct string }{
		"mailbox/acc_1/msg_a.webm":  {string(big), "video/webm"},
		"mailbox/acc_2/msg_b.ogg":   {"bb", "audio/ogg"},
		"greetings/acc_1.ogg":       {"greeting", "audio/ogg"},
		"stores/1/mailbox/smsg.ogg": {"", "audio/ogg"},
		"stores/1/banner.png":       {"png", ""},
	}
	for k, f := range files {
		mustPut(t, l, k, f.body, f.ct)
	}
	os.WriteFile(filepath.Join(l.tmp, "put-1"), []byte("half"), 0o600)
	odd := filepath.Join(dir, "mailbox", "has space.ogg")
	os.WriteFile(odd, []byte("x"), 0o600)

	o := newTestObjects(t)
	// A crash after copying one file but before removing it: the file is
	// in both places.
	mustPut(t, o, "mailbox/acc_2/msg_b.ogg", "bb", "audio/ogg")

	m, err := MoveLocal(ctx, dir, o)
	if err != nil || m.Moved != len(files) || m.Failed != 0 || m.Bytes != int64(len(big)+2+8+0+3) {
		t.Fatalf("MoveLocal = %+v, %v; want %d moved", m, err, len(files))
	}
	for k, f := range files {
		r, info, err := o.Open(ctx, k)
		if err != nil {
			t.Fatalf("Open %s: %v", k, err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		ct := f.ct
		if ct == "" {
			ct = DefaultContentType
		}
		if string(b) != f.body || info.ContentType != ct {
			t.Fatalf("%s: %d bytes of %s, want %d bytes of %s", k, len(b), info.ContentType, len(f.body), ct)
		}
	}
	if left := keysOf(t, l, ""); len(left) != 0 {
		t.Fatalf("blobs left on disk: %v", left)
	}
	if _, err := os.Stat(odd); err != nil {
		t.Fatalf("a file whose name is no key was not left alone: %v", err)
	}
	// Once the odd file goes, a move leaves no folder behind.
	os.Remove(odd)
	if m, err := MoveLocal(ctx, dir, o); err != nil || m != (Moved{}) {
		t.Fatalf("second MoveLocal = %+v, %v; want nothing moved", m, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("empty blob folder left: %v", err)
	}
	if m, err := MoveLocal(ctx, dir, o); err != nil || m != (Moved{}) {
		t.Fatalf("MoveLocal of a missing folder = %+v, %v", m, err)
	}
	if stray := strayChunks(t, o); len(stray) != 0 {
		t.Fatalf("stray chunks: %v", stray)
	}
}

// refusingStore is a Store whose Puts of one key fail.
type refusingStore struct {
	Store
	refuse string
}

func (r refusingStore) Put(ctx context.Context, key string, rd io.Reader, ct string) (Info, error) {
	if key == r.refuse {
		io.CopyN(io.Discard, rd, 10)
		return Info{}, errors.New("disk full")
	}
	return r.Store.Put(ctx, key, rd, ct)
}

// TestMoveLocalKeepsWhatItCouldNotMove: a file that fails to copy stays on
// disk, the others move, and the next move takes it.
func TestMoveLocalKeepsWhatItCouldNotMove(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "blobs")
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, l, "a/one", "1", "")
	mustPut(t, l, "a/two", "22", "")
	o := newTestObjects(t)
	m, err := MoveLocal(ctx, dir, refusingStore{Store: o, refuse: "a/two"})
	if err != nil || m.Moved != 1 || m.Failed != 1 {
		t.Fatalf("MoveLocal = %+v, %v; want 1 moved, 1 failed", m, err)
	}
	if left := keysOf(t, l, ""); strings.Join(left, " ") != "a/two" {
		t.Fatalf("left on disk: %v", left)
	}
	if m, err := MoveLocal(ctx, dir, o); err != nil || m.Moved != 1 || m.Failed != 0 {
		t.Fatalf("second MoveLocal = %+v, %v", m, err)
	}
	if got := keysOf(t, o, "a"); strings.Join(got, " ") != "a/one a/two" {
		t.Fatalf("moved: %v", got)
	}
	// A context that has ended stops the move with its error.
	if l, err = NewLocal(dir); err != nil { // the move removed the empty folder
		t.Fatal(err)
	}
	mustPut(t, l, "b", "3", "")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := MoveLocal(cctx, dir, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("MoveLocal with an ended context = %v", err)
	}
	if left := keysOf(t, l, ""); strings.Join(left, " ") != "b" {
		t.Fatalf("left on disk after a stopped move: %v", left)
	}
}

// TestObjectsSweepChunksOfKilledPuts: chunks that no meta names (a Put
// killed midway) are purged once old enough; blobs and younger uploads
// stay.
func TestObjectsSweepChunksOfKilledPuts(t *testing.T) {
	ctx := t.Context()
	o := newTestObjects(t)
	mustPut(t, o, "kept", string(patterned(2*objectChunkSize)), "")
	mustPut(t, o, "gone", "x", "")
	if err := o.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := o.js.Publish(ctx, "$O."+o.Bucket()+".C.killed", patterned(objectChunkSize)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := o.SweepChunks(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("SweepChunks(1h) = %d, %v; want the young upload kept", n, err)
	}
	if stray := strayChunks(t, o); len(stray) != 1 {
		t.Fatalf("stray chunks = %v, want the killed upload", stray)
	}
	if n, err := o.SweepChunks(ctx, 0); err != nil || n != 1 {
		t.Fatalf("SweepChunks(0) = %d, %v; want 1", n, err)
	}
	if stray := strayChunks(t, o); len(stray) != 0 {
		t.Fatalf("stray chunks after the sweep = %v", stray)
	}
	f, _, err := o.Open(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(b, patterned(2*objectChunkSize)) {
		t.Fatalf("kept blob after the sweep: %d bytes, %v", len(b), err)
	}
}

// FuzzObjectsSeekRead moves an object-store File around with any sequence
// of seeks and reads and checks every answer against a bytes.Reader on the
// same content: the File is what http.ServeContent turns Range headers
// into.
func FuzzObjectsSeekRead(f *testing.F) {
	body := patterned(3*objectChunkSize + 5000)
	o := newTestObjects(f)
	if _, err := o.Put(context.Background(), "fuzz/blob", bytes.NewReader(body), ""); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{0, 0, 10, 2, 0xff, 0x9c, 1, 0, 0})
	f.Add([]byte{30, 0x0d, 0x80, 5, 0x27, 0x10, 2, 0, 0, 200, 0, 1})
	f.Add([]byte{255, 0, 0, 255, 0x80, 0, 3, 0x10, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		file, _, err := o.Open(t.Context(), "fuzz/blob")
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		want := bytes.NewReader(body)
		for i := 0; i+2 < len(ops) && i < 60; i += 3 {
			whence := int(ops[i] % 3)
			off := int64(int16(uint16(ops[i+1])<<8|uint16(ops[i+2]))) * 37
			g, gerr := file.Seek(off, whence)
			w, werr := want.Seek(off, whence)
			if (gerr == nil) != (werr == nil) || gerr == nil && g != w {
				t.Fatalf("op %d: Seek(%d, %d) = %d, %v; want %d, %v", i/3, off, whence, g, gerr, w, werr)
			}
			n := int(ops[i]/3) * 1543
			gb, wb := make([]byte, n), make([]byte, n)
			gn, gerr := io.ReadFull(file, gb)
			wn, werr := io.ReadFull(want, wb)
			if gn != wn || !errors.Is(gerr, werr) && (gerr == nil || werr == nil || gerr.Error() != werr.Error()) || !bytes.Equal(gb[:gn], wb[:wn]) {
				t.Fatalf("op %d: read %d at %d: %d bytes, %v; want %d bytes, %v", i/3, n, w, gn, gerr, wn, werr)
			}
		}
	})
}
