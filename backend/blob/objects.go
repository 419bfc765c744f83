package blob

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livemall/livemall/backend/apperr"
)

// DefaultBucket is the JetStream object store bucket that Objects uses when
// its config names none.
const DefaultBucket = "lm_blobs"

// objectChunkSize is the size of every chunk but an object's last one.
const objectChunkSize = 128 << 10

// readTimeout bounds the fetch of one chunk.
const readTimeout = 30 * time.Second

// contentTypeHeader is the object header that keeps a blob's content type.
const contentTypeHeader = "Content-Type"

// ObjectsConfig says which bucket Objects keeps its blobs in.
type ObjectsConfig struct {
	// Bucket is the object store's name; empty means DefaultBucket.
	Bucket string
	// Replicas is how many copies JetStream keeps of each blob (1 alone, 3
	// in a cluster); 0 means 1.
	Replicas int
	// Cluster places the bucket in that NATS cluster (a region's own, so
	// that its files stay reachable while other regions are not); empty
	// leaves the placement to JetStream.
	Cluster string
}

// Objects is a Store on a NATS JetStream object store: every node connected
// to the same NATS (embedded, file storage in the data dir, or a cluster
// that replicates) sees the same blobs, so a message recorded through one
// node plays through any other.
//
// The object store cuts a blob into chunks of 128 KiB, published one after
// the other; its meta message, published last, is what makes it exist. So
// a Put that fails or whose context ends midway never shows (its chunks are
// purged), and one replacing a blob leaves the old one readable until the
// new one is whole. A process killed midway leaves chunks no meta names:
// they take space but are never read or listed.
//
// Unlike Local, Objects has no folders: "a" and "a/b" may both be blobs.
// An Objects is safe for concurrent use.
type Objects struct {
	js  jetstream.JetStream
	cfg jetstream.ObjectStoreConfig

	mu  sync.Mutex
	obs jetstream.ObjectStore
	str jetstream.Stream
}

var _ Store = (*Objects)(nil)

// NewObjects opens the bucket (file storage, cfg.Replicas copies), creating
// it, or updating its settings, when needed.
func NewObjects(ctx context.Context, js jetstream.JetStream, cfg ObjectsConfig) (*Objects, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	o := &Objects{js: js, cfg: jetstream.ObjectStoreConfig{
		Bucket:      cfg.Bucket,
		Description: "livemall files: voice and video mail, greetings",
		Storage:     jetstream.FileStorage,
		Replicas:    max(cfg.Replicas, 1),
	}}
	if cfg.Cluster != "" {
		o.cfg.Placement = &jetstream.Placement{Cluster: cfg.Cluster}
	}
	if _, _, err := o.open(ctx); err != nil {
		return nil, err
	}
	return o, nil
}

// Bucket returns the name of the object store bucket.
func (o *Objects) Bucket() string { return o.cfg.Bucket }

// open returns the bucket and its stream, creating them if NATS lost them
// (a restart without its data) since they were last opened.
func (o *Objects) open(ctx context.Context) (jetstream.ObjectStore, jetstream.Stream, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.obs != nil {
		return o.obs, o.str, nil
	}
	obs, err := o.js.CreateOrUpdateObjectStore(ctx, o.cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open object store %s: %w", o.cfg.Bucket, err)
	}
	str, err := o.js.Stream(ctx, "OBJ_"+o.cfg.Bucket)
	if err != nil {
		return nil, nil, fmt.Errorf("open object store %s: %w", o.cfg.Bucket, err)
	}
	o.obs, o.str = obs, str
	return obs, str, nil
}

// lost forgets the bucket when err says it is gone, so the next call
// creates it again.
func (o *Objects) lost(err error) {
	if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		o.mu.Lock()
		o.obs, o.str = nil, nil
		o.mu.Unlock()
	}
}

// Put implements Store.Put. The content type, when given, must parse as a
// media type (mime.ParseMediaType).
func (o *Objects) Put(ctx context.Context, key string, r io.Reader, contentType string) (Info, error) {
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
	obs, _, err := o.open(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	meta := jetstream.ObjectMeta{
		Name:    key,
		Headers: nats.Header{contentTypeHeader: []string{contentType}},
		Opts:    &jetstream.ObjectMetaOptions{ChunkSize: objectChunkSize},
	}
	// Full chunks keep their number low; the caller's context is checked
	// between reads, so its end stops the Put with the context's error.
	// The object store purges the chunks of a failed Put with the context
	// it was given, so it gets one that does not end with the caller's.
	put, err := obs.Put(context.WithoutCancel(ctx), meta, fullReader{ctxReader{ctx: ctx, r: r}})
	if err != nil {
		o.lost(err)
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return Info{}, fmt.Errorf("put %q: %w", key, err)
	}
	// The stored meta carries the server's time, which Open reports too.
	if got, err := obs.GetInfo(ctx, key); err == nil && got.NUID == put.NUID {
		put = got
	}
	return infoOf(put), nil
}

// Open implements Store.Open. The File reads the blob's chunks as it needs
// them; seeking back re-reads from the chunk holding the new offset.
func (o *Objects) Open(ctx context.Context, key string) (File, Info, error) {
	if err := CheckKey(key); err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, fmt.Errorf("open %q: %w", key, err)
	}
	obs, str, err := o.open(ctx)
	if err != nil {
		return nil, Info{}, fmt.Errorf("open %q: %w", key, err)
	}
	oi, err := obs.GetInfo(ctx, key)
	if err != nil {
		o.lost(err)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return nil, Info{}, fmt.Errorf("open %q: %w", key, ErrNotFound)
		}
		return nil, Info{}, fmt.Errorf("open %q: %w", key, err)
	}
	if oi.Opts != nil && oi.Opts.Link != nil {
		// Links are never made by this package.
		return nil, Info{}, fmt.Errorf("open %q: %w", key, ErrNotFound)
	}
	info := infoOf(oi)
	f := &objectFile{str: str, key: key, size: info.Size, chunks: int(oi.Chunks), digest: oi.Digest,
		subject: "$O." + o.cfg.Bucket + ".C." + oi.NUID, cur: -1, hash: sha256.New()}
	return f, info, nil
}

// Delete implements Store.Delete. The blob's chunks are purged; a small
// marker stays in the bucket in place of its meta.
func (o *Objects) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	obs, _, err := o.open(ctx)
	if err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	// The object store's Delete marks a deleted object deleted again; a
	// blob that is not there must say so.
	if _, err := obs.GetInfo(ctx, key); err != nil {
		o.lost(err)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return fmt.Errorf("delete %q: %w", key, ErrNotFound)
		}
		return fmt.Errorf("delete %q: %w", key, err)
	}
	if err := obs.Delete(ctx, key); err != nil {
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return fmt.Errorf("delete %q: %w", key, ErrNotFound)
		}
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return nil
}

// List implements Store.List. It reads the meta of every blob in the
// bucket (object names are not subjects a server could filter on), and
// leaves out names that are not keys.
func (o *Objects) List(ctx context.Context, prefix string) ([]Info, error) {
	if prefix != "" {
		if err := CheckKey(prefix); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	obs, _, err := o.open(ctx)
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	all, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		o.lost(err)
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	var out []Info
	for _, oi := range all {
		if oi.Deleted || CheckKey(oi.Name) != nil || prefix != "" && !strings.HasPrefix(oi.Name, prefix+"/") {
			continue
		}
		in := infoOf(oi)
		in.ContentType = "" // as documented: Open tells it
		out = append(out, in)
	}
	return out, nil
}

// infoOf turns an object's meta into a blob's Info.
func infoOf(oi *jetstream.ObjectInfo) Info {
	ct := oi.Headers.Get(contentTypeHeader)
	if ct == "" {
		ct = DefaultContentType
	}
	return Info{Key: oi.Name, Size: int64(oi.Size), ContentType: ct, ModTime: oi.ModTime}
}

// objectFile reads an object's chunks one at a time, each with a direct
// get of the next message on the object's chunk subject. It remembers
// where each chunk it has seen starts, so seeking back costs one get.
type objectFile struct {
	str     jetstream.Stream
	key     string
	subject string
	size    int64
	chunks  int
	digest  string

	pos    int64       // where the next Read reads
	seen   []chunkSpot // the chunks found so far, in order
	cur    int         // index in seen of the chunk in buf, or -1
	buf    []byte
	hash   hash.Hash // over bytes read in order from 0
	hashed int64     // how many bytes hash has seen
	closed bool
}

// chunkSpot is where a chunk sits in the stream and in the blob.
type chunkSpot struct {
	seq   uint64
	start int64
	n     int64
}

// Read implements io.Reader. Once the whole blob has been read in order
// from its start, it checks the object's SHA-256 digest and fails with an
// error rather than io.EOF if it does not match.
func (f *objectFile) Read(p []byte) (int, error) {
	if f.closed {
		return 0, fmt.Errorf("read %q: %w", f.key, errors.New("file already closed"))
	}
	if f.pos >= f.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.load(f.pos); err != nil {
		return 0, fmt.Errorf("read %q: %w", f.key, err)
	}
	c := f.seen[f.cur]
	n := copy(p, f.buf[f.pos-c.start:])
	if f.pos == f.hashed {
		f.hash.Write(p[:n])
		f.hashed += int64(n)
		if f.hashed == f.size && f.digest != "" && jetstream.GetObjectDigestValue(f.hash) != f.digest {
			return n, fmt.Errorf("read %q: %w", f.key, errors.New("content does not match its digest"))
		}
	}
	f.pos += int64(n)
	return n, nil
}

// load puts the chunk holding offset off in buf, fetching the chunks
// before it that were never seen.
func (f *objectFile) load(off int64) error {
	if f.cur >= 0 && f.cur < len(f.seen) {
		if c := f.seen[f.cur]; c.start <= off && off < c.start+c.n {
			return nil
		}
	}
	for i, c := range f.seen {
		if c.start <= off && off < c.start+c.n {
			return f.fetch(i, c.seq)
		}
	}
	for {
		next, i := uint64(1), len(f.seen)
		if i > 0 {
			next = f.seen[i-1].seq + 1
		}
		if i >= f.chunks {
			return errors.New("blob has fewer chunks than its meta says")
		}
		if err := f.fetch(i, next); err != nil {
			return err
		}
		if c := f.seen[i]; c.start <= off && off < c.start+c.n {
			return nil
		}
	}
}

// fetch reads the first message on the chunk subject at or after seq as
// chunk i (the next unseen one when i == len(seen)).
func (f *objectFile) fetch(i int, seq uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	m, err := f.str.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(f.subject))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return errors.New("blob was replaced or deleted while read")
	}
	if err != nil {
		return err
	}
	if len(m.Data) == 0 {
		return errors.New("blob has an empty chunk")
	}
	if i == len(f.seen) {
		start := int64(0)
		if i > 0 {
			start = f.seen[i-1].start + f.seen[i-1].n
		}
		f.seen = append(f.seen, chunkSpot{seq: m.Sequence, start: start, n: int64(len(m.Data))})
	} else if f.seen[i].seq != m.Sequence || f.seen[i].n != int64(len(m.Data)) {
		return errors.New("blob was replaced while read")
	}
	f.cur, f.buf = i, m.Data
	return nil
}

// Seek implements io.Seeker. It only moves the offset: the next Read
// fetches what it needs.
func (f *objectFile) Seek(offset int64, whence int) (int64, error) {
	if f.closed {
		return 0, fmt.Errorf("seek %q: %w", f.key, errors.New("file already closed"))
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.pos + offset
	case io.SeekEnd:
		abs = f.size + offset
	default:
		return 0, fmt.Errorf("seek %q: invalid whence %d", f.key, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seek %q: negative position %d", f.key, abs)
	}
	f.pos = abs
	return abs, nil
}

// Close implements io.Closer.
func (f *objectFile) Close() error {
	if f.closed {
		return fmt.Errorf("close %q: %w", f.key, errors.New("file already closed"))
	}
	f.closed, f.buf, f.seen = true, nil, nil
	return nil
}

// fullReader fills each buffer it is given unless its reader ends, so the
// object store cuts a blob into equal chunks.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) {
	n, err := io.ReadFull(f.r, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}

// SweepChunks purges the chunks that no blob's meta names and whose first
// chunk is older than age: what Puts in processes killed midway left. A
// younger one may belong to a Put still running on another node, so it
// stays until a later sweep. It reports how many uploads it purged.
func (o *Objects) SweepChunks(ctx context.Context, age time.Duration) (int, error) {
	obs, str, err := o.open(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep chunks: %w", err)
	}
	prefix := "$O." + o.cfg.Bucket + ".C."
	si, err := str.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		o.lost(err)
		return 0, fmt.Errorf("sweep chunks: %w", err)
	}
	if len(si.State.Subjects) == 0 {
		return 0, nil
	}
	all, err := obs.List(ctx, jetstream.ListObjectsShowDeleted())
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return 0, fmt.Errorf("sweep chunks: %w", err)
	}
	named := map[string]bool{}
	for _, oi := range all {
		named[prefix+oi.NUID] = true
	}
	swept := 0
	for subj := range si.State.Subjects {
		if named[subj] {
			continue
		}
		first, err := str.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return swept, fmt.Errorf("sweep chunks: %w", err)
		}
		if time.Since(first.Time) < age {
			continue
		}
		// The meta may have come since the listing: look again.
		if again, err := obs.List(ctx, jetstream.ListObjectsShowDeleted()); err == nil && slices.ContainsFunc(again, func(oi *jetstream.ObjectInfo) bool { return prefix+oi.NUID == subj }) {
			continue
		}
		if err := str.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
			return swept, fmt.Errorf("sweep chunks: %w", err)
		}
		swept++
	}
	return swept, nil
}
