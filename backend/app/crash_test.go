package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/backend/database"
	"github.com/livemall/livemall/backend/database/dbtest"
)

// childServer is `livemall serve` running as a child process.
type childServer struct {
	T    *testing.T
	cmd  *exec.Cmd
	base string
	log  *apptest.LockedBuffer
	done chan struct{}
}

// buildLivemall builds the livemall command into a temp dir.
func buildLivemall(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "livemall")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/livemall/livemall/backend/cmd/livemall").CombinedOutput()
	if err != nil {
		t.Fatalf("build livemall: %v\n%s", err, out)
	}
	return bin
}

// startChild runs `livemall serve args...` and waits for its "serving" log
// line; log collects everything it logs, across restarts.
func startChild(t *testing.T, bin string, log *apptest.LockedBuffer, args ...string) *childServer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &childServer{T: t, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { cmd.Wait(); pw.Close(); close(s.done) }()
	t.Cleanup(s.kill)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			log.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				urls <- "http://" + line.Addr
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case s.base = <-urls:
		return s
	case <-s.done:
		t.Fatalf("livemall serve exited at start:\n%s", log.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("livemall serve did not start within 90 s:\n%s", log.String())
	}
	return nil
}

// kill ends the child with SIGKILL, as a crash would, and waits for it.
func (s *childServer) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// stop ends the child with SIGTERM and waits for a clean exit.
func (s *childServer) stop() {
	s.T.Helper()
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
		if s.cmd.ProcessState.ExitCode() != 0 {
			s.T.Fatalf("livemall serve exited %d after SIGINT", s.cmd.ProcessState.ExitCode())
		}
	case <-time.After(30 * time.Second):
		s.T.Fatal("livemall serve still runs 30 s after SIGINT")
	}
}

// remoteMember signs up a member on the server at base, in a browser of
// their own (the server issues its device).
func remoteMember(t *testing.T, base, name string) *apptest.Client {
	t.Helper()
	c := apptest.NewClient(t, nil)
	c.Remote = base
	c.SignUp(name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.com", "1990-01-01")
	return c
}

// killWhen polls cond (finely: the moments it waits for last milliseconds)
// and returns as soon as it holds, or after 20 s, so the caller kills the
// server then. Missing the moment is no failure: the checks after the
// restart hold whatever the moment was.
func killWhen(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Logf("no %s within 20 s: killing anyway", what)
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// callEnded drains a phone whose server was killed and reports whether the
// call id had ended (its caller told so) before the socket closed.
func callEnded(p *apptest.Phone, id string) bool {
	ended := false
	for m := range p.Msgs {
		if m.Type == "call.state" && strings.Contains(string(m.Data), `"state":"ended"`) && apptest.CallIDOf(m) == id {
			ended = true
		}
	}
	return ended
}

// playable reports why a recording a browser would be handed cannot play,
// or "" when it is a whole WebM or Ogg Opus file with media that lasts.
func playable(contentType string, b []byte) string {
	switch contentType {
	case "video/webm":
		var w struct {
			Header  webm.EBMLHeader `ebml:"EBML"`
			Segment webm.Segment    `ebml:"Segment"`
		}
		if !bytes.HasPrefix(b, []byte("\x1a\x45\xdf\xa3")) {
			return "no EBML header"
		}
		if err := ebml.Unmarshal(bytes.NewReader(b), &w); err != nil {
			return "WebM does not parse: " + err.Error()
		}
		blocks := 0
		for _, c := range w.Segment.Cluster {
			blocks += len(c.SimpleBlock)
		}
		if w.Header.DocType != "webm" || w.Segment.Info.Duration <= 0 || blocks == 0 {
			return "WebM without duration or blocks"
		}
	case "audio/ogg":
		r, _, err := oggreader.NewWith(bytes.NewReader(b))
		if err != nil {
			return "Ogg does not parse: " + err.Error()
		}
		var granule uint64
		for {
			_, h, err := r.ParseNextPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return "Ogg page: " + err.Error()
			}
			granule = h.GranulePosition
		}
		if granule == 0 {
			return "Ogg without duration"
		}
	default:
		return "content type " + contentType
	}
	return ""
}

// filesUnder lists the regular files under dir (relative, slash-separated),
// leaving out sidecars and the blob store's temp folder unless all.
func filesUnder(t *testing.T, dir string, all bool) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !all && strings.HasPrefix(d.Name(), ".") && p != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// metaRecords counts the object-store meta records of blobs under key
// prefix that the server in dataDir has written to disk, deleted or
// replaced ones included: it grows by one when a blob is complete. It
// reads the stream's block files, whose records hold their subjects in
// the clear ($O.<bucket>.M.<base64url of the name>).
func metaRecords(t *testing.T, dataDir, prefix string) int {
	t.Helper()
	enc := base64.URLEncoding.EncodeToString([]byte(prefix))
	subj := []byte("$O." + blob.DefaultBucket + ".M." + enc[:len(prefix)/3*4])
	n := 0
	filepath.WalkDir(filepath.Join(dataDir, "nats"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".blk") || !strings.Contains(p, "OBJ_"+blob.DefaultBucket) {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil {
			n += bytes.Count(b, subj)
		}
		return nil
	})
	return n
}

// TestKillDuringRecordingKeepsEveryFinishedMessage runs the real server as
// a child process and kills it with SIGKILL 20 times while callers leave
// video messages for an offline member: each time one message has finished
// (its caller was told the call ended) and another is in flight, killed
// while recording, just after its hang-up, or a little later (while it is
// being saved). After each restart on the same data, and at the end, every
// finished message is listed and plays, none killed while recording is
// listed, whatever is listed plays, and every message file has its row.
func TestKillDuringRecordingKeepsEveryFinishedMessage(t *testing.T) {
	const cycles = 20
	bin := buildLivemall(t)
	db := dbtest.Config(t)
	dataDir := db.DataDir
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--turn-addr", "", "--metrics-addr", "", "--payments", "offline",
		"--data", dataDir, "--public-url", apptest.Origin, "--node", "crash-test-node", "--auth-rate-limit", "1000", "--ring-timeout", "2s"}
	if db.URL != "" {
		args = append(args, "--database-url", db.URL)
	}
	log := &apptest.LockedBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	}()
	srv := startChild(t, bin, log, args...)
	alice, bob, carol := remoteMember(t, srv.base, "Alice Crash"), remoteMember(t, srv.base, "Bob Crash"), remoteMember(t, srv.base, "Carol Away")
	carolNumber := carol.MyNumber()
	var me struct{ Account struct{ ID string } }
	carol.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)

	// Carol records a short greeting (the default one lasts 7 s), then goes
	// offline: every call to her goes straight to her mailbox.
	pc := apptest.NewPhone(t, carol, srv.base)
	pc.NoVideo = true
	pc.Send("call.dial", map[string]any{"number": carolNumber})
	g := pc.Expect("call.state", `"ownGreeting":true`, 10*time.Second)
	pc.Expect("call.state", `"state":"recording"`, 20*time.Second)
	time.Sleep(600 * time.Millisecond) // the greeting's length
	pc.Send("call.hangup", map[string]any{"callId": apptest.CallIDOf(g)})
	pc.Expect("call.state", `"state":"ended"`, 15*time.Second)
	pc.Close()
	apptest.WaitFor(t, 10*time.Second, "carol offline", func() bool { return alice.Resolve(carolNumber).State == "offline" })

	finished := map[string]bool{}        // calls whose caller was told they ended
	killedRecording := map[string]bool{} // calls killed while recording
	for i := range cycles {
		pa, pb := apptest.NewPhone(t, alice, srv.base), apptest.NewPhone(t, bob, srv.base)
		pb.Send("call.dial", map[string]any{"number": carolNumber, "video": true})
		pa.Send("call.dial", map[string]any{"number": carolNumber, "video": true})
		idB := apptest.CallIDOf(pb.Expect("call.state", `"state":"mailbox"`, 20*time.Second))
		idA := apptest.CallIDOf(pa.Expect("call.state", `"state":"mailbox"`, 20*time.Second))
		pb.Expect("call.state", `"state":"recording"`, 30*time.Second)
		pa.Expect("call.state", `"state":"recording"`, 30*time.Second)
		time.Sleep(time.Second) // alice's message
		pa.Send("call.hangup", map[string]any{"callId": idA})
		pa.Expect("call.state", `"state":"ended"`, 20*time.Second)
		finished[idA] = true

		// Bob's message is in flight when the server dies: killed while
		// recording, as soon as the recorder has finished its file (before
		// it is stored), as soon as the file is in the blob store (while
		// its row is written), or a little after the hang-up.
		before := metaRecords(t, dataDir, "mailbox/"+me.Account.ID+"/")
		switch i % 4 {
		case 0:
			killedRecording[idB] = true
		case 1:
			pb.Send("call.hangup", map[string]any{"callId": idB})
			killWhen(t, "the finished recording", func() bool {
				return slices.ContainsFunc(filesUnder(t, filepath.Join(dataDir, "recording"), true), func(f string) bool { return strings.HasSuffix(f, ".webm") })
			})
		case 2:
			pb.Send("call.hangup", map[string]any{"callId": idB})
			killWhen(t, "the message file", func() bool { return metaRecords(t, dataDir, "mailbox/"+me.Account.ID+"/") > before })
		case 3:
			pb.Send("call.hangup", map[string]any{"callId": idB})
			time.Sleep(time.Duration(i*7%60) * time.Millisecond)
		}
		srv.kill()
		if callEnded(pb, idB) {
			if killedRecording[idB] {
				t.Fatalf("cycle %d: bob's call ended though he never hung up", i)
			}
			finished[idB] = true
		}
		pa.Close()
		pb.Close()

		srv = startChild(t, bin, log, args...)
		alice.Remote, bob.Remote, carol.Remote = srv.base, srv.base, srv.base
		// Every message that finished so far is listed; all listed play.
		msgs, _ := carol.Mailbox()
		if len(msgs) < len(finished) {
			t.Fatalf("cycle %d: %d messages listed after a restart, %d finished", i, len(msgs), len(finished))
		}
	}

	// At the end: every listed message plays, each one's file is there.
	msgs, unheard := carol.Mailbox()
	if unheard != len(msgs) {
		t.Fatalf("%d messages, %d unheard", len(msgs), unheard)
	}
	listed := map[string]bool{}
	for _, m := range msgs {
		r := carol.Must(200, "GET", m.MediaURL, nil)
		if why := playable(m.ContentType, []byte(r.Body)); why != "" || m.DurationMS <= 0 {
			t.Fatalf("message %s (%d ms, %d bytes) does not play: %s", m.ID, m.DurationMS, len(r.Body), why)
		}
		listed[m.ID] = true
	}
	srv.stop()

	// The rows, read from the database the server used.
	store, err := database.Open(context.Background(), database.Config{URL: db.URL, DataDir: dataDir})
	if err != nil {
		t.Fatalf("open the server's database: %v", err)
	}
	defer store.Close()
	var rows []struct {
		ID, CallID, Status, BlobKey string
	}
	if err := store.Table("messages").Select("id, call_id, status, blob_key").Where("account_id = ?", me.Account.ID).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	byCall, keys := map[string]string{}, map[string]bool{}
	for _, r := range rows {
		if r.Status != "ready" {
			t.Errorf("message %s is left %s after a restart", r.ID, r.Status)
		}
		if !listed[r.ID] {
			t.Errorf("message %s (%s) is not listed", r.ID, r.Status)
		}
		if killedRecording[r.CallID] {
			t.Errorf("message %s of call %s, killed while recording, was kept", r.ID, r.CallID)
		}
		byCall[r.CallID] = r.ID
		keys[r.BlobKey] = true
	}
	for id := range finished {
		if byCall[id] == "" {
			t.Errorf("call %s finished but left no message", id)
		}
	}
	if len(listed) != len(rows) {
		t.Errorf("%d messages listed, %d rows", len(listed), len(rows))
	}
	// No file without a row, and no leftovers of recordings. Uploads
	// killed midway may leave chunks, never listed: counted, then swept.
	b, err := bus.Open(context.Background(), bus.Config{DataDir: dataDir, Name: "crash-test"})
	if err != nil {
		t.Fatalf("open the server's NATS: %v", err)
	}
	defer b.Close()
	objects, err := blob.NewObjects(context.Background(), b.JS, blob.ObjectsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	infos, err := objects.List(context.Background(), "mailbox")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, in := range infos {
		files = append(files, in.Key)
		if !keys[in.Key] {
			t.Errorf("file %s has no row", in.Key)
		}
	}
	if len(files) != len(keys) {
		t.Errorf("%d message files for %d rows", len(files), len(keys))
	}
	killedUploads, err := objects.SweepChunks(context.Background(), 0)
	if err != nil {
		t.Fatalf("sweep chunks: %v", err)
	}
	if left := filesUnder(t, filepath.Join(dataDir, "recording"), true); len(left) != 0 {
		t.Errorf("recordings left in the scratch folder: %v", left)
	}
	var swept struct{ Recovered, Dropped, Orphans int }
	for line := range strings.SplitSeq(log.String(), "\n") {
		var l struct {
			Msg               string `json:"msg"`
			MessagesRecovered int    `json:"messages_recovered"`
			MessagesDropped   int    `json:"messages_dropped"`
			OrphanFiles       int    `json:"orphan_files"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "settled what a crash left" {
			swept.Recovered += l.MessagesRecovered
			swept.Dropped += l.MessagesDropped
			swept.Orphans += l.OrphanFiles
		}
	}
	t.Logf("%d cycles: %d messages finished, %d killed while recording, %d rows, %d files, %d uploads killed midway; at restarts %d pending messages recovered whole, %d dropped, %d orphan files removed",
		cycles, len(finished), len(killedRecording), len(rows), len(files), killedUploads, swept.Recovered, swept.Dropped, swept.Orphans)
	if len(finished) < cycles {
		t.Fatalf("only %d messages finished in %d cycles", len(finished), cycles)
	}
}
