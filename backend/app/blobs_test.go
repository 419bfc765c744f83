package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/directory"
)

// TestLocalBlobsMoveIntoTheObjectStoreOnce starts a node on a data dir
// whose DATA/blobs holds what an older version stored there (a voice
// message with its row, a greeting): at start every file moves into the
// object store, plays through the API (whole and by range) and the local
// folder is gone; the next start moves nothing and loses nothing.
func TestLocalBlobsMoveIntoTheObjectStoreOnce(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Config(t)
	dataDir := db.DataDir
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	start := func() *app.App {
		t.Helper()
		cfg := config.Default()
		cfg.DatabaseURL, cfg.DataDir = db.URL, dataDir
		cfg.PublicURL, cfg.Node, cfg.TURNAddr, cfg.AuthRateLimit = apptest.Origin, "test-node", "", 1000
		a, err := app.New(ctx, cfg)
		if err != nil {
			t.Fatalf("start app: %v", err)
		}
		return a
	}
	log := &apptest.LockedBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(log, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	// A first start creates carol and her message's row; the file is laid
	// out by hand as an older version left it in DATA/blobs.
	a := start()
	carol := apptest.Member(t, a, "Carol Moved")
	acct := carol.AccountID()
	key := "mailbox/" + acct + "/msg_old.ogg"
	body := bytes.Repeat([]byte("OggS old voicemail "), 20_000) // several chunks
	m := directory.Message{LeftMessage: directory.LeftMessage{ID: "msg_old", AccountID: acct, Number: directory.Number(strings.ReplaceAll(carol.MyNumber(), " ", "")), FromName: "Caller",
		BlobKey: key, ContentType: "audio/ogg", DurationMS: 1000, Bytes: int64(len(body)), CreatedAt: time.Now().UTC(), Status: "ready", Node: "test-node"}}
	if err := a.DB.Create(&m).Error; err != nil {
		t.Fatal(err)
	}
	a.Shutdown()
	local, err := blob.NewLocal(filepath.Join(dataDir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{key: string(body), "greetings/" + acct + ".ogg": "greeting"}
	for k, v := range files {
		if _, err := local.Put(ctx, k, strings.NewReader(v), "audio/ogg"); err != nil {
			t.Fatal(err)
		}
	}

	for run := range 2 {
		a = start()
		carol.App = a
		for k, v := range files {
			f, info, err := a.Blobs.Open(ctx, k)
			if err != nil {
				t.Fatalf("start %d: %s is not in the object store: %v", run+2, k, err)
			}
			got, _ := io.ReadAll(f)
			f.Close()
			if string(got) != v || info.ContentType != "audio/ogg" {
				t.Fatalf("start %d: %s holds %d bytes of %s, want %d bytes", run+2, k, len(got), info.ContentType, len(v))
			}
		}
		if !a.Calls.HasOwnGreeting(ctx, acct) {
			t.Fatalf("start %d: carol's greeting is lost", run+2)
		}
		if r := carol.Must(200, "GET", "/api/v1/mailbox/msg_old/media", nil); r.Body != string(body) {
			t.Fatalf("start %d: the message plays %d bytes, want %d", run+2, len(r.Body), len(body))
		}
		if r := carol.Do("GET", "/api/v1/mailbox/msg_old/media", nil, "Range", "bytes=200000-200009"); r.Status != 206 || r.Body != string(body[200000:200010]) {
			t.Fatalf("start %d: range: %d %q", run+2, r.Status, r.Body)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "blobs")); !os.IsNotExist(err) {
			t.Fatalf("start %d: DATA/blobs is still there: %v", run+2, err)
		}
		a.Shutdown()
	}
	// The move was logged once, at the first start after the upgrade.
	var moves []string
	for line := range strings.SplitSeq(log.String(), "\n") {
		if strings.Contains(line, "moved local files into the object store") {
			moves = append(moves, line)
		}
	}
	if len(moves) != 1 || !strings.Contains(moves[0], `"moved":2`) || !strings.Contains(moves[0], `"left_on_disk":0`) {
		t.Fatalf("logged moves: %q, want one of 2 files", moves)
	}
}
