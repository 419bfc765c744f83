package push_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

// TestClosedTabMemberIsRungByPushThenAnswers: Bob has no app open but takes
// pushes, so the directory shows him as reachable by push. Ann calls him:
// she hears it ring (no mailbox), Bob's push service gets the ring,
// encrypted for his browser, with the call to answer; his phone opens (as
// the notification's Answer does), is rung like any device of his, answers,
// and media flows both ways. A second call he declines from the
// notification sends Ann to the mailbox; nobody else can decline it. When
// his push service says the subscription is gone, a call goes to the
// mailbox at once, as for anyone offline.
func TestClosedTabMemberIsRungByPushThenAnswers(t *testing.T) {
	a := apptest.New(t, withLocalPush, func(c *config.Config) { c.RingTimeout = 20 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	ps := newPushService(t, a.Push.PublicKey())
	ann, bob := apptest.Member(t, a, "Ann Caller"), apptest.Member(t, a, "Bob Closed")
	bobNumber := bob.MyNumber()
	if st := ann.Resolve(bobNumber).State; st != "offline" {
		t.Fatalf("Bob without app and push is %s, want offline", st)
	}
	endpoint, b := ps.endpoint("bob")
	bob.Must(200, "PUT", "/api/v1/push/subscription", b.subscription(endpoint))
	apptest.WaitFor(t, 3*time.Second, "Bob reachable by push", func() bool { return ann.Resolve(bobNumber).State == "push" })

	pa := apptest.NewPhone(t, ann, base)
	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	apptest.WaitFor(t, 5*time.Second, "the ring at Bob's push service", func() bool { return len(ps.received(endpoint)) == 1 })
	ring := ps.received(endpoint)[0]
	if ring.Kind != "ring" || ring.CallID != id || ring.URL != "/phone/?answer="+id || ring.Title != "Ann Caller is calling" || !strings.Contains(ring.Body, "video call") {
		t.Fatalf("the pushed ring: %+v", ring)
	}
	if h := ps.headers["/push/bob"]; h.Get("Urgency") != "high" || h.Get("TTL") != "20" {
		t.Fatalf("the ring's Urgency %q and TTL %q", h.Get("Urgency"), h.Get("TTL"))
	}
	// Answer: the phone opens and is rung as a device of Bob's.
	pb := apptest.NewPhone(t, bob, base)
	pb.Expect("call.incoming", id, 10*time.Second)
	pb.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 10*time.Second)
	pb.Expect("call.state", `"state":"active"`, 10*time.Second)
	apptest.WaitMedia(t, pa, pb)
	pb.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 5*time.Second)
	pb.Close()
	apptest.WaitFor(t, 5*time.Second, "Bob reachable by push again", func() bool { return ann.Resolve(bobNumber).State == "push" })

	// Decline from the notification: the caller goes to the mailbox.
	pa.Send("call.dial", map[string]any{"number": bobNumber})
	id2 := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	apptest.WaitFor(t, 5*time.Second, "the second ring", func() bool { return len(ps.received(endpoint)) == 2 })
	cy := apptest.Member(t, a, "Cy Stranger")
	if r := cy.Do("POST", "/api/v1/calls/"+id2+"/decline", nil); r.Status != 403 {
		t.Fatalf("a stranger declines Bob's call: %d %s", r.Status, r.Body)
	}
	if r := apptest.NewClient(t, a).Do("POST", "/api/v1/calls/"+id2+"/decline", nil); r.Status != 401 {
		t.Fatalf("signed out declines: %d %s", r.Status, r.Body)
	}
	if r := bob.Do("POST", "/api/v1/calls/call_nope/decline", nil); r.Status != 404 {
		t.Fatalf("declining no call: %d %s", r.Status, r.Body)
	}
	bob.Must(200, "POST", "/api/v1/calls/"+id2+"/decline", nil)
	m := pa.Expect("call.state", `"state":"mailbox"`, 10*time.Second)
	if !strings.Contains(string(m.Data), `"outcome":"declined"`) {
		t.Fatalf("the mailbox after the decline: %s", m.Data)
	}
	if r := bob.Do("POST", "/api/v1/calls/"+id2+"/decline", nil); r.Status != 409 && r.Status != 404 {
		t.Fatalf("declining twice: %d %s", r.Status, r.Body)
	}
	pa.Send("call.hangup", map[string]any{"callId": id2})
	pa.Expect("call.state", `"state":"ended"`, 10*time.Second)

	// The push service says the subscription is gone: the mailbox at once.
	ps.answer(endpoint, http.StatusGone)
	pa.Send("call.dial", map[string]any{"number": bobNumber})
	m = pa.Expect("call.state", `"state":"mailbox"`, 10*time.Second)
	if !strings.Contains(string(m.Data), `"outcome":"offline"`) {
		t.Fatalf("a call to a gone subscription: %s", m.Data)
	}
	apptest.WaitFor(t, 3*time.Second, "Bob offline", func() bool { return ann.Resolve(bobNumber).State == "offline" })
}
