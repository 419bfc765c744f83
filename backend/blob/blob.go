// Package blob keeps files that outlive a request — voice and video mail
// and greetings — behind one small interface. Every node uses Objects, the
// JetStream object store on its NATS, so any node serves any file; Local,
// files in a folder, is what older versions used, and MoveLocal moves its
// files into Objects once.
package blob

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// ErrNotFound is wrapped by every error that means "no blob under this key":
// test it with errors.Is. It carries the code apperr.NotFound, so an HTTP
// handler that passes it on answers 404.
var ErrNotFound = apperr.New(apperr.NotFound, "file not found")

// DefaultContentType is stored when Put is given an empty content type.
const DefaultContentType = "application/octet-stream"

// Key limits. A segment stays well under the 255 bytes most file systems
// allow for a name, leaving room for the store's own sidecar names.
const (
	maxKeyLen     = 1024
	maxSegmentLen = 200
)

// Info describes a stored blob.
type Info struct {
	// Key is the blob's key, as given to Put.
	Key string
	// Size is the blob's length in bytes.
	Size int64
	// ContentType is the media type given to Put (DefaultContentType if none
	// was given or it could not be read back).
	ContentType string
	// ModTime is when the blob was last written.
	ModTime time.Time
}

// File is an open blob. It can seek, so HTTP can serve ranges of it
// (http.ServeContent); the caller must close it.
type File = io.ReadSeekCloser

// Store keeps blobs under keys. Keys are slash-separated paths whose segments
// use only [A-Za-z0-9._-] and do not start with a dot (CheckKey); every
// method refuses other keys with an apperr.Invalid error.
type Store interface {
	// Put stores everything r yields under key, replacing any blob already
	// there. The blob becomes visible only once it is complete and durable:
	// when r fails or ctx ends midway, Put returns the error and the key
	// keeps its previous content (or stays absent). Local, whose keys are
	// files and folders, refuses with apperr.Conflict a key that runs
	// through or over another ("a/b/c" or "a" beside "a/b"); Objects has
	// no folders and takes both.
	Put(ctx context.Context, key string, r io.Reader, contentType string) (Info, error)
	// Open returns the blob under key, ready to read from its start, and its
	// Info. When there is none it returns an error wrapping ErrNotFound.
	Open(ctx context.Context, key string) (File, Info, error)
	// Delete removes the blob under key. When there is none it returns an
	// error wrapping ErrNotFound.
	Delete(ctx context.Context, key string) error
	// List returns every blob whose key lies under the folder prefix
	// ("mailbox" lists "mailbox/a/b.ogg", not "mailboxes/c"), in no
	// particular order, with Key, Size and ModTime filled in (Open tells
	// the content type). An empty prefix lists every blob; a prefix with
	// nothing under it lists none. A blob being Put is listed only once it
	// is complete.
	List(ctx context.Context, prefix string) ([]Info, error)
}

// CheckKey returns nil when key is acceptable to every Store: 1 to 1024
// bytes, slash-separated segments of 1 to 200 characters from
// [A-Za-z0-9._-], none starting with a dot (which also rules out "." and
// ".."), no leading, trailing or doubled slash. Otherwise it returns an
// apperr.Invalid error saying what is wrong.
func CheckKey(key string) error {
	if key == "" {
		return apperr.New(apperr.Invalid, "file key is empty")
	}
	if len(key) > maxKeyLen {
		return apperr.New(apperr.Invalid, "file key is longer than %d bytes", maxKeyLen)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" {
			return apperr.New(apperr.Invalid, "file key %q has an empty segment", key)
		}
		if len(seg) > maxSegmentLen {
			return apperr.New(apperr.Invalid, "file key %q has a segment longer than %d bytes", key, maxSegmentLen)
		}
		if seg[0] == '.' {
			return apperr.New(apperr.Invalid, "file key %q has a segment starting with a dot", key)
		}
		for i := 0; i < len(seg); i++ {
			if !keyByte(seg[i]) {
				return apperr.New(apperr.Invalid, "file key %q has %q: use only letters, digits, '.', '_', '-' and '/'", key, seg[i])
			}
		}
	}
	return nil
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}
