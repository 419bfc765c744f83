package blob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

func TestListShowsBlobsUnderAFolderAndNothingElse(t *testing.T) {
	eachStore(t, testListShowsBlobsUnderAFolderAndNothingElse)
}

func testListShowsBlobsUnderAFolderAndNothingElse(t *testing.T, l Store) {
	for key, body := range map[string]string{
		"mailbox/acc_1/msg_a.webm":  "aaaa",
		"mailbox/acc_2/msg_b.ogg":   "bb",
		"mailboxes/msg_c.ogg":       "c",
		"greetings/acc_1.ogg":       "g",
		"stores/7/mailbox/smsg.ogg": "s",
	} {
		if _, err := l.Put(t.Context(), key, strings.NewReader(body), "audio/ogg"); err != nil {
			t.Fatalf("Put %q: %v", key, err)
		}
	}
	// Neither an upload in progress, nor a file whose name is no key, nor
	// a sidecar is a blob.
	switch l := l.(type) {
	case *Local:
		os.WriteFile(filepath.Join(l.tmp, "put-123"), []byte("half"), 0o600)
		os.WriteFile(filepath.Join(l.dir, "mailbox", "acc_1", "has space.ogg"), []byte("x"), 0o600)
		os.MkdirAll(filepath.Join(l.dir, "mailbox", ".hidden"), 0o750)
		os.WriteFile(filepath.Join(l.dir, "mailbox", ".hidden", "x.ogg"), []byte("x"), 0o600)
	case *Objects:
		obs, _, err := l.open(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// Chunks whose meta never came, as a Put killed midway leaves.
		if _, err := l.js.Publish(t.Context(), "$O."+l.Bucket()+".C.unfinished", []byte("half")); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"mailbox/acc_1/has space.ogg", "mailbox/.hidden/x.ogg", "mailbox/acc_1/"} {
			if _, err := obs.PutString(t.Context(), name, "x"); err != nil {
				t.Fatal(err)
			}
		}
	}

	if o, ok := l.(*Objects); ok {
		// The checker the other tests rely on sees the unfinished upload.
		if stray := strayChunks(t, o); len(stray) != 1 || !strings.Contains(stray[0], ".C.unfinished") {
			t.Fatalf("stray chunks = %v, want the unfinished upload", stray)
		}
	}
	if got, want := keysOf(t, l, "mailbox"), []string{"mailbox/acc_1/msg_a.webm", "mailbox/acc_2/msg_b.ogg"}; !slices.Equal(got, want) {
		t.Fatalf("List(mailbox) = %v, want %v", got, want)
	}
	if got := keysOf(t, l, ""); len(got) != 5 {
		t.Fatalf("List(\"\") = %v, want the 5 blobs", got)
	}
	infos, _ := l.List(t.Context(), "mailbox/acc_1")
	if len(infos) != 1 || infos[0].Size != 4 || infos[0].ModTime.IsZero() {
		t.Fatalf("List(mailbox/acc_1) = %+v, want one blob of 4 bytes with its time", infos)
	}
	for _, prefix := range []string{"nothing-here", "mailbox/acc_1/msg_a.webm", "mailbox/acc_3"} {
		if got := keysOf(t, l, prefix); len(got) != 0 {
			t.Fatalf("List(%q) = %v, want none", prefix, got)
		}
	}
	// A deleted blob is no longer listed.
	if err := l.Delete(t.Context(), "mailbox/acc_2/msg_b.ogg"); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(t, l, "mailbox"); !slices.Equal(got, []string{"mailbox/acc_1/msg_a.webm"}) {
		t.Fatalf("after Delete, List(mailbox) = %v", got)
	}
}

func TestListRefusesBadPrefixes(t *testing.T) { eachStore(t, testListRefusesBadPrefixes) }

func testListRefusesBadPrefixes(t *testing.T, l Store) {
	for _, prefix := range []string{".tmp", "../etc", "mailbox/", "/mailbox", "a//b", "a b"} {
		_, err := l.List(t.Context(), prefix)
		if apperr.Code(err) != apperr.Invalid {
			t.Errorf("List(%q) = %v, want an invalid-key error", prefix, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	l.Put(t.Context(), "a/b", strings.NewReader("x"), "")
	if _, err := l.List(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("List with an ended context = %v, want context.Canceled", err)
	}
}
