package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Moved is what MoveLocal did.
type Moved struct {
	// Moved counts the blobs copied into the store and removed from disk.
	Moved int
	// Bytes is their total size.
	Bytes int64
	// Failed counts the blobs left on disk because copying or checking one
	// failed; the next MoveLocal tries them again.
	Failed int
}

// MoveLocal moves the blobs a Local kept under dir into dst, each under the
// same key with the same content type: it copies one, reads it back from
// dst and compares size and SHA-256, and only then removes the file. A
// crash midway leaves every blob in dir, dst or both, and the next call
// copies again what is still on disk, so calling it at every start moves
// each blob once and then nothing. When dir is left without blobs it is
// removed (with empty folders and leftover uploads); files whose names are
// no keys stay where they are. A dir that does not exist moves nothing.
//
// A blob that cannot be copied or checked is counted in Failed and left on
// disk; other errors (dir unreadable, ctx ended) stop the move and are
// returned.
func MoveLocal(ctx context.Context, dir string, dst Store) (Moved, error) {
	var m Moved
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	src, err := NewLocal(dir)
	if err != nil {
		return m, err
	}
	if _, err := src.SweepTemp(); err != nil {
		return m, err
	}
	infos, err := src.List(ctx, "")
	if err != nil {
		return m, fmt.Errorf("move local blobs: %w", err)
	}
	slices.SortFunc(infos, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	for _, in := range infos {
		if err := ctx.Err(); err != nil {
			return m, fmt.Errorf("move local blobs: %w", err)
		}
		n, err := moveOne(ctx, src, dst, in.Key)
		if err != nil {
			if ctx.Err() != nil {
				return m, fmt.Errorf("move local blobs: %w", ctx.Err())
			}
			slog.Warn("move a local file into the blob store; it stays on disk until the next start", "key", in.Key, "err", err)
			m.Failed++
			continue
		}
		m.Moved++
		m.Bytes += n
	}
	if m.Failed == 0 {
		removeEmptyDirs(src.Dir())
	}
	return m, nil
}

// moveOne copies key from src to dst, checks the copy, and removes the
// original.
func moveOne(ctx context.Context, src *Local, dst Store, key string) (int64, error) {
	f, info, err := src.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	put, err := dst.Put(ctx, key, io.TeeReader(f, h), info.ContentType)
	f.Close()
	if err != nil {
		return 0, err
	}
	if put.Size != info.Size {
		return 0, fmt.Errorf("move %q: %d bytes stored of %d", key, put.Size, info.Size)
	}
	want := h.Sum(nil)
	// A replica of a clustered bucket may answer a read a moment before
	// it has the new blob: check a few times before giving up.
	var verr error
	for attempt := range 4 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		if verr = sameContent(ctx, dst, key, info.Size, want); verr == nil {
			break
		}
	}
	if verr != nil {
		return 0, verr
	}
	return info.Size, src.Delete(ctx, key)
}

// sameContent reports, as a nil error, whether dst holds size bytes whose
// SHA-256 is sum under key.
func sameContent(ctx context.Context, dst Store, key string, size int64, sum []byte) error {
	g, got, err := dst.Open(ctx, key)
	if err != nil {
		return err
	}
	defer g.Close()
	h := sha256.New()
	if _, err := io.Copy(h, g); err != nil {
		return err
	}
	if got.Size != size || !bytes.Equal(h.Sum(nil), sum) {
		return fmt.Errorf("move %q: the stored copy differs", key)
	}
	return nil
}

// removeEmptyDirs removes the folders under dir that hold no file, deepest
// first, then dir itself if it is left empty. Errors leave a folder in
// place, which is harmless.
func removeEmptyDirs(dir string) {
	var dirs []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for _, d := range slices.Backward(dirs) {
		os.Remove(d) // fails, as it should, on a folder that is not empty
	}
}
