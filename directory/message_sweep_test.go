package directory_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/directory"
)

// TestStartSettlesWhatACrashLeft lays out by hand every state a crash can
// leave (pending messages with and without their file, files without a
// row, calls left open) and checks what SweepMessages, run at start, makes
// of each: pending messages are never shown, whole ones are recovered,
// others dropped with their file, files without a row removed, greetings
// and other nodes' recent saves left alone.
func TestStartSettlesWhatACrashLeft(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	carol := apptest.Member(t, a, "Carol Sweep")
	var me struct{ Account struct{ ID string } }
	carol.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
	acct := me.Account.ID
	number := directory.Number(strings.ReplaceAll(carol.MyNumber(), " ", ""))
	var storeID int64
	if err := a.DB.Table("stores").Select("id").Order("id").Limit(1).Scan(&storeID).Error; err != nil || storeID == 0 {
		t.Fatalf("no demo store: %v", err)
	}
	blobs := a.Blobs
	put := func(key, body string) {
		t.Helper()
		if _, err := blobs.Put(ctx, key, strings.NewReader(body), "video/webm"); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	now := time.Now().UTC()
	message := func(id, status, node string, created time.Time, withFile string) {
		t.Helper()
		key := "mailbox/" + acct + "/" + id + ".webm"
		if withFile != "" {
			put(key, withFile)
		}
		m := directory.Message{LeftMessage: directory.LeftMessage{ID: id, AccountID: acct, Number: number, FromName: "Caller", BlobKey: key, ContentType: "video/webm",
			HasVideo: true, DurationMS: 1000, Bytes: 5, CreatedAt: created, Status: status, Node: node}}
		if err := a.DB.Create(&m).Error; err != nil {
			t.Fatalf("insert %s: %v", id, err)
		}
	}
	message("msg_ready", "ready", "test-node", now, "whole")
	message("msg_whole", "pending", "test-node", now, "whole")                    // crash between file and ready
	message("msg_nofile", "pending", "test-node", now, "")                        // crash before the file was stored
	message("msg_wrongsize", "pending", "test-node", now, "too long")             // a file that is not the one the row describes
	message("msg_elsewhere", "pending", "node-b", now, "")                        // node B is saving it right now
	message("msg_abandoned", "pending", "node-b", now.Add(-2*time.Hour), "whole") // node B never came back
	sm := directory.StoreMessage{ID: "smsg_whole", StoreID: storeID, FromName: "Shopper", BlobKey: "stores/1/mailbox/smsg_whole.ogg",
		ContentType: "audio/ogg", DurationMS: 1000, Bytes: 5, CreatedAt: now, Status: "pending", Node: "test-node"}
	put(sm.BlobKey, "whole")
	if err := a.DB.Create(&sm).Error; err != nil {
		t.Fatal(err)
	}
	put("mailbox/"+acct+"/msg_orphan.webm", "orphan") // its row was deleted, then the process died
	put("stores/1/mailbox/smsg_orphan.ogg", "orphan") // the same in a store's mailbox
	put("greetings/"+acct+".ogg", "greeting")         // greetings have no rows
	put("stores/1/banner.png", "not a message")       // nor do other files
	for _, c := range []directory.CallRecord{
		{ID: "call_crashed", CalleeNumber: number, Node: "test-node", State: "mailbox", StartedAt: now},
		{ID: "call_on_b", CalleeNumber: number, Node: "node-b", State: "active", StartedAt: now},
	} {
		c.CallerAccountID = &acct
		if err := a.DB.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
	}

	// Before the sweep, nothing pending is shown, played or counted.
	if msgs, unheard := carol.Mailbox(); len(msgs) != 1 || msgs[0].ID != "msg_ready" || unheard != 1 {
		t.Fatalf("before the sweep the mailbox shows %+v (%d unheard), want only msg_ready", msgs, unheard)
	}
	carol.Must(404, "GET", "/api/v1/mailbox/msg_whole/media", nil)
	carol.Must(404, "DELETE", "/api/v1/mailbox/msg_whole", nil)

	swept, err := a.Calls.SweepMessages(ctx)
	if err != nil {
		t.Fatalf("SweepMessages: %v", err)
	}
	if want := (directory.Swept{CallsClosed: 1, Recovered: 3, Dropped: 2, Orphans: 2}); swept != want {
		t.Fatalf("swept %+v, want %+v", swept, want)
	}
	var ids []string
	msgs, _ := carol.Mailbox()
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	if want := []string{"msg_abandoned", "msg_ready", "msg_whole"}; !slices.Equal(ids, want) {
		t.Fatalf("after the sweep the mailbox shows %v, want %v", ids, want)
	}
	if r := carol.Must(200, "GET", "/api/v1/mailbox/msg_whole/media", nil); r.Body != "whole" {
		t.Fatalf("recovered message plays %q", r.Body)
	}
	var status []struct{ ID, Status string }
	a.DB.Table("messages").Select("id, status").Order("id").Scan(&status)
	if got := fmtRows(status); got != "msg_abandoned=ready msg_elsewhere=pending msg_ready=ready msg_whole=ready" {
		t.Fatalf("rows after the sweep: %s", got)
	}
	var storeStatus []struct{ ID, Status string }
	a.DB.Table("store_messages").Select("id, status").Scan(&storeStatus)
	if got := fmtRows(storeStatus); got != "smsg_whole=ready" {
		t.Fatalf("store rows after the sweep: %s", got)
	}
	var keys []string
	infos, _ := blobs.List(ctx, "")
	for _, in := range infos {
		keys = append(keys, in.Key)
	}
	slices.Sort(keys)
	want := []string{"greetings/" + acct + ".ogg", "mailbox/" + acct + "/msg_abandoned.webm", "mailbox/" + acct + "/msg_ready.webm",
		"mailbox/" + acct + "/msg_whole.webm", "stores/1/banner.png", "stores/1/mailbox/smsg_whole.ogg"}
	if !slices.Equal(keys, want) {
		t.Fatalf("files after the sweep:\n%v\nwant\n%v", keys, want)
	}
	for id, wantState := range map[string]string{"call_crashed": "ended/connection_lost", "call_on_b": "active/"} {
		if st, out := apptest.CallRecord(t, a, id); st+"/"+out != wantState {
			t.Fatalf("call %s is %s/%s, want %s", id, st, out, wantState)
		}
	}
	// A second sweep finds nothing more to do.
	if again, err := a.Calls.SweepMessages(ctx); err != nil || again != (directory.Swept{}) {
		t.Fatalf("second sweep: %+v, %v", again, err)
	}
}

// fmtRows prints id=status pairs, space-separated.
func fmtRows(rows []struct{ ID, Status string }) string {
	var parts []string
	for _, r := range rows {
		parts = append(parts, r.ID+"="+r.Status)
	}
	return strings.Join(parts, " ")
}
