package directory_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/database/dbtest"
)

// outboxRow is a message kept in region a's outbox.
type outboxRow struct {
	ID, AccountID, HomeRegion, Status, BlobKey, ContentType string
	Bytes                                                   int64
	Attempts                                                int
}

func outboxOf(t *testing.T, a *app.App) []outboxRow {
	t.Helper()
	var rows []outboxRow
	if err := a.DB.Table("region_outbox").Select("id, account_id, home_region, status, blob_key, content_type, bytes, attempts").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// askMessage sends a request on subject as any NATS client of the
// supercluster can, and returns the answer's text.
func askMessage(t *testing.T, a *app.App, subject, body string) string {
	t.Helper()
	reply, err := a.Bus.Conn.Request(subject, []byte(body), 5*time.Second)
	if err != nil {
		t.Fatalf("request %s: %v", body, err)
	}
	return string(reply.Data)
}

// TestMessageForAnUnreachableRegionIsKeptAndDeliveredOnce: with region c
// down, alice's dial of carol fails fast; she dials again to leave a
// message and speaks. The message is kept in a's outbox (its file in a's
// store) and stays there while c cannot be reached, however often the
// sweep tries. When c's node is back (same database) the sweep delivers
// it: carol's mailbox has it, playable, once; a's row is delivered and
// its file gone. A delivery repeated as after a lost acknowledgement
// makes no second message, and c refuses offers for members it does not
// have and chunks out of order.
func TestMessageForAnUnreachableRegionIsKeptAndDeliveredOnce(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	t.Cleanup(ns.Shutdown)
	dbC := dbtest.Config(t)
	if dbC.DataDir == "" {
		dbC.DataDir = t.TempDir()
	}
	region := func(name string) func(*config.Config) {
		return func(cfg *config.Config) {
			cfg.NATSURL, cfg.Node, cfg.Region, cfg.NumberBlocks = ns.ClientURL(), "node-"+name, name, twoRegionPlan
			cfg.RingTimeout = 2 * time.Minute
			if name == "c" {
				cfg.DatabaseURL, cfg.DataDir = dbC.URL, dbC.DataDir
			}
		}
	}
	nodeA, nodeC := apptest.New(t, region("a")), apptest.New(t, region("c"))
	baseA := apptest.ServeOnLoopback(t, nodeA)
	alice, carol := apptest.Member(t, nodeA, "Alice Of A"), apptest.Member(t, nodeC, "Carol Of C")
	carolNumber, carolID := carol.MyNumber(), carol.AccountID()
	knownIn(t, alice, carolNumber)

	// Region c goes away.
	nodeC.Shutdown()
	pa := apptest.NewPhone(t, alice, baseA)
	pa.Send("call.dial", map[string]any{"number": carolNumber})
	pa.Expect("error", "region cannot be reached right now", 10*time.Second)

	pa.Send("call.dial", map[string]any{"number": carolNumber, "message": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"mailbox"`, 10*time.Second))
	pa.Expect("call.state", `"state":"recording"`, 30*time.Second)
	audio0, _, _ := pa.SentMedia()
	apptest.WaitFor(t, time.Minute, "alice to speak for two seconds", func() bool {
		audio, _, _ := pa.SentMedia()
		return audio-audio0 >= 2*time.Second
	})
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 15*time.Second)

	var kept []outboxRow
	apptest.WaitFor(t, 15*time.Second, "the message kept in a's outbox", func() bool {
		kept = outboxOf(t, nodeA)
		return len(kept) == 1 && kept[0].Status == "ready"
	})
	m := kept[0]
	if m.AccountID != carolID || m.HomeRegion != "c" || m.ContentType != "audio/ogg" || m.Bytes < 1000 || !strings.HasPrefix(m.BlobKey, "outbox/"+carolID+"/") {
		t.Fatalf("a's outbox row: %+v", m)
	}
	f, info, err := nodeA.Blobs.Open(t.Context(), m.BlobKey)
	if err != nil {
		t.Fatalf("the message's file in a's store: %v", err)
	}
	stored, _ := io.ReadAll(f)
	f.Close()
	if int64(len(stored)) != m.Bytes || info.Size != m.Bytes {
		t.Fatalf("a's store holds %d bytes, the row says %d", len(stored), m.Bytes)
	}
	// While c cannot be reached, the sweep tries and keeps it.
	apptest.WaitFor(t, 30*time.Second, "the sweep to try twice", func() bool {
		rows := outboxOf(t, nodeA)
		return len(rows) == 1 && rows[0].Attempts >= 2
	})
	if rows := outboxOf(t, nodeA); rows[0].Status != "ready" {
		t.Fatalf("the message while c is down: %+v", rows[0])
	}

	// Region c is back: the sweep delivers it, once.
	nodeC2 := apptest.New(t, region("c"))
	carol.App = nodeC2
	apptest.WaitFor(t, 60*time.Second, "the message delivered", func() bool {
		rows := outboxOf(t, nodeA)
		return rows[0].Status == "delivered"
	})
	apptest.WaitFor(t, 10*time.Second, "a's store to drop the delivered message's file", func() bool {
		f, _, err := nodeA.Blobs.Open(t.Context(), m.BlobKey)
		if err == nil {
			f.Close()
		}
		return err != nil
	})
	msgs, unheard := carol.Mailbox()
	if len(msgs) != 1 || unheard != 1 || msgs[0].ID != m.ID || msgs[0].FromName != "Alice Of A" || msgs[0].ContentType != "audio/ogg" || msgs[0].DurationMS < 1500 {
		t.Fatalf("carol's mailbox: %+v (unheard %d), want the message %s", msgs, unheard, m.ID)
	}
	played := carol.Must(200, "GET", msgs[0].MediaURL, nil)
	if sha256.Sum256([]byte(played.Body)) != sha256.Sum256(stored) {
		t.Fatalf("carol plays %d bytes, a kept %d: not the same", len(played.Body), len(stored))
	}

	// The acknowledgement was lost: a delivers again; c keeps one message.
	nodeA.DB.Exec("UPDATE region_outbox SET status = 'ready', next_try_at = ? WHERE id = ?", time.Now().UTC().Add(-time.Second), m.ID)
	nodeA.Blobs.Put(t.Context(), m.BlobKey, strings.NewReader(string(stored)), "audio/ogg")
	apptest.WaitFor(t, 30*time.Second, "the message delivered again", func() bool {
		return outboxOf(t, nodeA)[0].Status == "delivered"
	})
	if msgs, _ := carol.Mailbox(); len(msgs) != 1 {
		t.Fatalf("carol's mailbox after a repeated delivery: %d messages, want 1", len(msgs))
	}

	// What c refuses.
	sum := sha256.Sum256([]byte("x"))
	offer := func(id, account string) string {
		return fmt.Sprintf(`{"kind":"offer","id":%q,"accountId":%q,"number":%q,"fromName":"Mallory","contentType":"audio/ogg","durationMs":1000,"bytes":1,"sha256":%q,"createdAt":"2026-01-02T03:04:05Z"}`,
			id, account, carolNumber, hex.EncodeToString(sum[:]))
	}
	if ans := askMessage(t, nodeA, "lm.region.c.message", offer("msg_0123456789abcdef01234567", alice.AccountID())); !strings.Contains(ans, `"code":"not_found"`) {
		t.Fatalf("an offer for a member of another region: %s", ans)
	}
	if ans := askMessage(t, nodeA, "lm.region.c.message", offer(m.ID, carolID)); ans != `{"delivered":true}` {
		t.Fatalf("an offer of the message kept already: %s", ans)
	}
	if ans := askMessage(t, nodeA, "lm.region.c.message", `{"kind":"offer","id":"msg_x"}`); !strings.Contains(ans, `"code":"invalid"`) {
		t.Fatalf("a malformed offer: %s", ans)
	}
	var took struct{ Node string }
	json.Unmarshal([]byte(askMessage(t, nodeA, "lm.region.c.message", offer("msg_aaaaaaaaaaaaaaaaaaaaaaaa", carolID))), &took)
	if took.Node == "" {
		t.Fatal("a good offer named no node")
	}
	chunk := func(id string, offset int) string {
		return fmt.Sprintf(`{"kind":"chunk","id":%q,"offset":%d,"data":"eA=="}`, id, offset)
	}
	if ans := askMessage(t, nodeA, "lm.region.c.message."+took.Node, chunk("msg_bbbbbbbbbbbbbbbbbbbbbbbb", 0)); !strings.Contains(ans, `"code":"not_found"`) {
		t.Fatalf("a chunk of a message never offered: %s", ans)
	}
	if ans := askMessage(t, nodeA, "lm.region.c.message."+took.Node, chunk("msg_aaaaaaaaaaaaaaaaaaaaaaaa", 5)); !strings.Contains(ans, `"code":"invalid"`) {
		t.Fatalf("a chunk out of order: %s", ans)
	}
	if msgs, _ := carol.Mailbox(); len(msgs) != 1 {
		t.Fatalf("carol's mailbox after the refusals: %d messages, want 1", len(msgs))
	}

	// A message for someone c does not have is not tried again.
	nobody := "outbox/ac_nobody/msg_cccccccccccccccccccccccc.ogg"
	nodeA.Blobs.Put(t.Context(), nobody, strings.NewReader(string(stored)), "audio/ogg")
	if err := nodeA.DB.Exec(`INSERT INTO region_outbox (id, account_id, home_region, number, from_name, blob_key, content_type, has_video, duration_ms, bytes, created_at, status, node, attempts, next_try_at)
		VALUES ('msg_cccccccccccccccccccccccc', 'ac_nobody', 'c', ?, 'Alice Of A', ?, 'audio/ogg', ?, 2000, ?, ?, 'ready', 'node-a', 0, ?)`,
		carolNumber, nobody, false, len(stored), time.Now().UTC(), time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, 30*time.Second, "the message for nobody set aside", func() bool {
		var status string
		nodeA.DB.Table("region_outbox").Select("status").Where("id = ?", "msg_cccccccccccccccccccccccc").Scan(&status)
		return status == "undeliverable"
	})
	if msgs, _ := carol.Mailbox(); len(msgs) != 1 {
		t.Fatalf("carol's mailbox after a message for nobody: %d messages, want 1", len(msgs))
	}
}

// TestOneRegionTakesNoMessagesFromOthers: a node without a plan of
// regions neither answers region message requests nor keeps an outbox; a
// dial to leave a message for a local member opens the mailbox at once.
func TestOneRegionTakesNoMessagesFromOthers(t *testing.T) {
	node := apptest.New(t)
	base := apptest.ServeOnLoopback(t, node)
	for _, subject := range []string{"lm.region.local.message", "lm.region." + node.Config.Region + ".message"} {
		if _, err := node.Bus.Conn.Request(subject, []byte(`{}`), time.Second); err == nil {
			t.Fatalf("one region answers %s", subject)
		}
	}
	alice, bob := apptest.Member(t, node, "Alice One Region"), apptest.Member(t, node, "Bob One Region")
	pb := apptest.NewPhone(t, bob, base)
	pa := apptest.NewPhone(t, alice, base)
	pa.Send("call.dial", map[string]any{"number": bob.MyNumber(), "message": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"mailbox"`, 10*time.Second))
	pa.Expect("call.state", `"state":"recording"`, 30*time.Second)
	for len(pb.Msgs) > 0 {
		if m := <-pb.Msgs; m.Type == "call.incoming" {
			t.Fatalf("bob's phone rang for a message: %s", m.Data)
		}
	}
	audio0, _, _ := pa.SentMedia()
	apptest.WaitFor(t, time.Minute, "alice to speak for a second", func() bool {
		audio, _, _ := pa.SentMedia()
		return audio-audio0 >= time.Second
	})
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 15*time.Second)
	apptest.WaitFor(t, 10*time.Second, "the message in bob's mailbox", func() bool {
		msgs, _ := bob.Mailbox()
		return len(msgs) == 1
	})
	if rows := outboxOf(t, node); len(rows) != 0 {
		t.Fatalf("one region kept %d messages in an outbox", len(rows))
	}
	// A message is left for someone else, never for oneself or a store.
	pa.Send("call.dial", map[string]any{"number": alice.MyNumber(), "message": true})
	pa.Expect("error", "a message is left for another member", 10*time.Second)
}
