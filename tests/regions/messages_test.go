package regions_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
)

// play fetches a message's recording through the member's region, as the
// phone's player does, and returns its content type and bytes.
func play(t *testing.T, m *member, mediaURL string) (string, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", m.c.Remote+mediaURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range m.c.Cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("play %s: %v", mediaURL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("play %s: status %d, %v", mediaURL, res.StatusCode, err)
	}
	return res.Header.Get("Content-Type"), body
}

// TestMessageForAnUnreachableRegionIsDeliveredOnHeal: with the path
// between regions a and c cut, alice (a) dials carol (c) and hears that
// carol's region cannot be reached; she dials again to leave a message
// and speaks for a few seconds. The message is kept in a (its outbox row
// names carol and region c) while the partition lasts; after the heal
// carol finds it in her mailbox on c's node, exactly once, and it plays:
// an Ogg file of the bytes a kept.
func TestMessageForAnUnreachableRegionIsDeliveredOnHeal(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	_, carol, pa, _ := rg.callerAndCallee()

	rg.Partition("a", "c")
	pa.Send("call.dial", map[string]any{"number": carol.number})
	pa.Expect("error", "region cannot be reached right now", 15*time.Second)

	pa.Send("call.dial", map[string]any{"number": carol.number, "message": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"mailbox"`, 15*time.Second))
	pa.Expect("call.state", `"state":"recording"`, 60*time.Second)
	audio0, _, _ := pa.SentMedia()
	apptest.WaitFor(t, time.Minute, "alice to speak for three seconds", func() bool {
		audio, _, _ := pa.SentMedia()
		return audio-audio0 >= 3*time.Second
	})
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 15*time.Second)

	var msgID, account, home, status string
	var size int64
	apptest.WaitFor(t, 15*time.Second, "the message kept in region a", func() bool {
		err := rg.DB["a"].QueryRow(`SELECT id, account_id, home_region, status, bytes FROM region_outbox WHERE call_id = $1`, id).Scan(&msgID, &account, &home, &status, &size)
		return err == nil && status == "ready"
	})
	if account != carol.id || home != "c" || size < 1000 {
		t.Fatalf("region a's outbox: account %s, region %s, %d bytes; want carol %s in c", account, home, size, carol.id)
	}
	// While the partition lasts, the message stays in a and c has none.
	time.Sleep(5 * time.Second)
	var inC int
	rg.DB["c"].QueryRow(`SELECT COUNT(*) FROM messages WHERE account_id = $1`, carol.id).Scan(&inC)
	if err := rg.DB["a"].QueryRow(`SELECT status FROM region_outbox WHERE id = $1`, msgID).Scan(&status); err != nil || status != "ready" || inC != 0 {
		t.Fatalf("during the partition: a's row %q (%v), %d messages in c", status, err, inC)
	}

	rg.Heal()
	healed := time.Now()
	var msgs []struct {
		ID, FromName, ContentType, MediaURL string
		DurationMS                          int64
		HasVideo, Heard                     bool
	}
	apptest.WaitFor(t, 2*time.Minute, "the message in carol's mailbox", func() bool {
		msgs, _ = carol.c.Mailbox()
		return len(msgs) > 0
	})
	t.Logf("the message reached carol's mailbox %v after the heal", time.Since(healed).Round(time.Millisecond))
	apptest.WaitFor(t, 15*time.Second, "region a's row delivered", func() bool {
		return rg.DB["a"].QueryRow(`SELECT status FROM region_outbox WHERE id = $1`, msgID).Scan(&status) == nil && status == "delivered"
	})
	time.Sleep(5 * time.Second) // a second delivery, if there were one, would have come
	msgs, unheard := carol.c.Mailbox()
	if len(msgs) != 1 || unheard != 1 || msgs[0].ID != msgID || msgs[0].FromName != "Alice Homedina" || msgs[0].ContentType != "audio/ogg" || msgs[0].DurationMS < 2000 {
		t.Fatalf("carol's mailbox: %+v (unheard %d), want one message %s from alice", msgs, unheard, msgID)
	}
	ctype, body := play(t, carol, msgs[0].MediaURL)
	if ctype != "audio/ogg" || int64(len(body)) != size || !strings.HasPrefix(string(body), "OggS") {
		t.Fatalf("carol plays %d bytes of %q, want the %d bytes of audio/ogg region a kept", len(body), ctype, size)
	}
}
