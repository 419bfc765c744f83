package blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/livemall/livemall/backend/apperr"
)

// tmpDirName holds uploads in progress. Keys cannot start with a dot, so no
// key ever reaches it.
const tmpDirName = ".tmp"

// Local is a Store on the local file system. The blob under key "a/b.webm"
// is the plain file DIR/a/b.webm, so it can be inspected with ordinary tools;
// its content type sits beside it in DIR/a/.b.webm.meta (JSON). Neither name
// can clash with a key, since key segments never start with a dot.
//
// Put writes into DIR/.tmp, fsyncs, renames into place and fsyncs the
// directories, so after a crash a key holds either its old or its new
// content, never a part. A crash between the two renames (sidecar first,
// then data) can leave a sidecar that does not describe the data; the
// sidecar records the size it describes, and a mismatch reads as
// DefaultContentType rather than a wrong type.
//
// A Local is safe for concurrent use. Two Puts racing on one key leave one
// of the two blobs whole.
type Local struct {
	dir string
	tmp string
}

// localMeta is the sidecar's content.
type localMeta struct {
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

var _ Store = (*Local)(nil)

// NewLocal returns a Local keeping its files under dir, creating dir (and
// its .tmp folder) when missing. Call SweepTemp once at start, before the
// first Put.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob dir %q: %w", dir, err)
	}
	l := &Local{dir: abs, tmp: filepath.Join(abs, tmpDirName)}
	if err := os.MkdirAll(l.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("blob dir: %w", err)
	}
	return l, nil
}

// Dir returns the folder the blobs are kept in.
func (l *Local) Dir() string { return l.dir }

// SweepTemp removes the leftovers of Puts that a crash interrupted and
// reports how many files it removed. It must not run while a Put is in
// progress: call it once at start.
func (l *Local) SweepTemp() (removed int, err error) {
	entries, err := os.ReadDir(l.tmp)
	if err != nil {
		return 0, fmt.Errorf("sweep blob temp files: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(l.tmp, e.Name())); err != nil {
			return removed, fmt.Errorf("sweep blob temp files: %w", err)
		}
		removed++
	}
	return removed, nil
}

// Put implements Store.Put. The content type, when given, must parse as a
// media type (mime.ParseMediaType).
func (l *Local) Put(ctx context.Context, key string, r io.Reader, contentType string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	if contentType == "" {
		contentType = DefaultContentType
	} else if _, _, err := mime.ParseMediaType(contentType); err != nil {
		return Info{}, apperr.New(apperr.Invalid, "content type %q is not a media type", contentType)
	}
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}

	data, size, err := l.writeTemp(func(f *os.File) (int64, error) {
		return io.Copy(f, ctxReader{ctx: ctx, r: r})
	})
	if err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	defer os.Remove(data) // a no-op once renamed
	meta, _, err := l.writeTemp(func(f *os.File) (int64, error) {
		return 0, json.NewEncoder(f).Encode(localMeta{ContentType: contentType, Size: size})
	})
	if err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	defer os.Remove(meta)

	final, side := l.paths(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return Info{}, apperr.New(apperr.Conflict, "file key %q runs through another file", key)
		}
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	// A key whose path is taken by a folder ("a" when "a/b" exists) would
	// make rename fail with a confusing error, or succeed for the sidecar.
	if st, err := os.Lstat(final); err == nil && st.IsDir() {
		return Info{}, apperr.New(apperr.Conflict, "file key %q is a folder of other files", key)
	}
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	if err := os.Rename(meta, side); err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	if err := os.Rename(data, final); err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	if err := l.syncDirs(filepath.Dir(final)); err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	st, err := os.Stat(final)
	if err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	return Info{Key: key, Size: st.Size(), ContentType: contentType, ModTime: st.ModTime()}, nil
}

// Open implements Store.Open. The returned File is an *os.File.
func (l *Local) Open(ctx context.Context, key string) (File, Info, error) {
	if err := CheckKey(key); err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, fmt.Errorf("open %q: %w", key, err)
	}
	final, side := l.paths(key)
	f, err := os.Open(final)
	if err != nil {
		if notExist(err) {
			return nil, Info{}, fmt.Errorf("open %q: %w", key, ErrNotFound)
		}
		return nil, Info{}, fmt.Errorf("open %q: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("open %q: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, Info{}, fmt.Errorf("open %q: %w", key, ErrNotFound)
	}
	info := Info{Key: key, Size: st.Size(), ContentType: DefaultContentType, ModTime: st.ModTime()}
	if b, err := os.ReadFile(side); err == nil {
		var m localMeta
		if json.Unmarshal(b, &m) == nil && m.Size == st.Size() && m.ContentType != "" {
			info.ContentType = m.ContentType
		}
	}
	return f, info, nil
}

// Delete implements Store.Delete. Folders left empty stay in place.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	final, side := l.paths(key)
	st, err := os.Lstat(final)
	if err != nil {
		if notExist(err) {
			return fmt.Errorf("delete %q: %w", key, ErrNotFound)
		}
		return fmt.Errorf("delete %q: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("delete %q: %w", key, ErrNotFound)
	}
	if err := os.Remove(final); err != nil {
		if notExist(err) {
			return fmt.Errorf("delete %q: %w", key, ErrNotFound)
		}
		return fmt.Errorf("delete %q: %w", key, err)
	}
	// The data goes first: a crash in between leaves only a stray sidecar,
	// which the next Put of the key replaces.
	if err := os.Remove(side); err != nil && !notExist(err) {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return syncDir(filepath.Dir(final))
}

// List implements Store.List. Sidecars, the temp folder and files whose
// names are not keys (put there by hand) are never listed.
func (l *Local) List(ctx context.Context, prefix string) ([]Info, error) {
	root := l.dir
	if prefix != "" {
		if err := CheckKey(prefix); err != nil {
			return nil, err
		}
		root = filepath.Join(l.dir, filepath.FromSlash(prefix))
	}
	if st, err := os.Stat(root); notExist(err) || err == nil && !st.IsDir() {
		return nil, nil
	}
	var out []Info
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if notExist(err) { // removed while we walked
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if CheckKey(key) != nil {
			return nil
		}
		st, err := d.Info()
		if notExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, Info{Key: key, Size: st.Size(), ModTime: st.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	return out, nil
}

// paths returns where key's data and sidecar live.
func (l *Local) paths(key string) (data, side string) {
	data = filepath.Join(l.dir, filepath.FromSlash(key))
	return data, filepath.Join(filepath.Dir(data), "."+filepath.Base(data)+".meta")
}

// writeTemp creates a file in the temp folder, fills it with fill, fsyncs
// and closes it, and returns its path and size. On error nothing is left.
func (l *Local) writeTemp(fill func(*os.File) (int64, error)) (string, int64, error) {
	f, err := os.CreateTemp(l.tmp, "put-*")
	if err != nil {
		return "", 0, err
	}
	n, err := fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, err
	}
	return f.Name(), n, nil
}

// syncDirs fsyncs dir and each of its parents up to the store's root, so
// that both the new entry and any folders MkdirAll created are durable.
func (l *Local) syncDirs(dir string) error {
	for {
		if err := syncDir(dir); err != nil {
			return err
		}
		if dir == l.dir || len(dir) <= len(l.dir) {
			return nil
		}
		dir = filepath.Dir(dir)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// notExist also counts "a/b" where "a" is a file as absent.
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// ctxReader stops a copy once its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
