package directory_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
)

func TestCallBetweenTwoOnlineMembersCarriesMediaBothWays(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, bob := apptest.Member(t, a, "Alice Call"), apptest.Member(t, a, "Bob Call")
	pa, pb := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base)
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 3*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })

	pa.Send("call.dial", map[string]any{"number": bobNumber, "video": true})
	ringing := pa.Expect("call.state", `"state":"ringing"`, 5*time.Second)
	id := apptest.CallIDOf(ringing)
	in := pb.Expect("call.incoming", id, 5*time.Second)
	if !strings.Contains(string(in.Data), "Alice Call") {
		t.Fatalf("incoming call does not name the caller: %s", in.Data)
	}
	pb.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"active"`, 5*time.Second)
	pb.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitMedia(t, pa, pb)
	if st := alice.Resolve(bobNumber).State; st != "busy" {
		t.Fatalf("bob in a call is %s, want busy", st)
	}
	pb.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 5*time.Second)
	apptest.WaitFor(t, 3*time.Second, "the call record", func() bool {
		st, out := apptest.CallRecord(t, a, id)
		return st == "ended" && out == "answered"
	})
	if a.SFU.RoomCount() != 0 {
		t.Fatalf("%d rooms left open", a.SFU.RoomCount())
	}
}

func TestCallerCancelsWhileRinging(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, bob := apptest.Member(t, a, "Alice Cancel"), apptest.Member(t, a, "Bob Cancel")
	pa, pb := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base)
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 3*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })
	pa.Send("call.dial", map[string]any{"number": bobNumber})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	pa.Send("call.hangup", map[string]any{"callId": id})
	pb.Expect("call.state", `"reason":"cancelled"`, 5*time.Second)
	apptest.WaitFor(t, 3*time.Second, "a missed-call record", func() bool {
		st, out := apptest.CallRecord(t, a, id)
		return st == "ended" && out == "cancelled"
	})
	var msgs int64
	a.DB.Table("messages").Count(&msgs)
	if msgs != 0 {
		t.Fatalf("a cancelled call left %d messages", msgs)
	}
	// Answering now is refused: the call is gone.
	pb.Send("call.answer", map[string]any{"callId": id})
	pb.Expect("error", "no such call", 5*time.Second)
}

// leaveMessage has the caller's phone leave a message of d of media. Like a
// caller who waits for the tone, the phone holds its media from the
// greeting on; once told it is recording it sends d of media (counted in
// its media timestamps, so a busy machine sends as much, only later), holds
// again, waits until the node received every audio packet it sent, and
// hangs up. It returns the call id and the media time the phone sent while
// recorded (the longer of its two tracks).
func leaveMessage(t *testing.T, pa *apptest.Phone, number, wantOutcome string, d time.Duration) (id string, sent time.Duration) {
	t.Helper()
	m := pa.Expect("call.state", `"state":"mailbox"`, 10*time.Second)
	pa.HoldMedia()
	defer pa.ResumeMedia() // the phone's next call sends from the start
	if !strings.Contains(string(m.Data), `"outcome":"`+wantOutcome+`"`) {
		t.Fatalf("mailbox for the wrong reason: %s", m.Data)
	}
	id = apptest.CallIDOf(m)
	pa.Expect("call.state", `"state":"recording"`, 30*time.Second)
	room := pa.C.App.SFU.Room(id)
	if room == nil || room.Participant("caller") == nil {
		t.Fatalf("call %s records but has no caller in its room", id)
	}
	caller := room.Participant("caller")
	audio0, video0, packets0 := pa.SentMedia()
	got0, _ := caller.Received()
	pa.ResumeMedia()
	apptest.WaitFor(t, d+time.Minute, "the phone to send the message's media", func() bool {
		audio, _, _ := pa.SentMedia()
		return audio-audio0 >= d
	})
	pa.HoldMedia()
	audio, video, packets := pa.SentMedia()
	apptest.WaitFor(t, 30*time.Second, "the node to receive the message's audio", func() bool {
		got, _ := caller.Received()
		return got-got0 >= packets-packets0
	})
	pa.Send("call.hangup", map[string]any{"callId": id})
	// Ending saves the message first (file and row): a loaded machine takes
	// its time.
	pa.Expect("call.state", `"state":"ended"`, 30*time.Second)
	return id, max(audio-audio0, video-video0)
}

func TestOfflineCalleeGetsAFiveSecondVideoMessage(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, carol := apptest.Member(t, a, "Alice Mail"), apptest.Member(t, a, "Carol Offline")
	pa := apptest.NewPhone(t, alice, base)
	carolNumber := carol.MyNumber()
	pa.Send("call.dial", map[string]any{"number": carolNumber, "video": true})
	_, sent := leaveMessage(t, pa, carolNumber, "offline", 5*time.Second)

	var msgs []struct {
		ID, FromName, ContentType, MediaURL string
		DurationMS                          int64
		HasVideo, Heard                     bool
	}
	apptest.WaitFor(t, 10*time.Second, "the message in carol's mailbox", func() bool {
		msgs, _ = carol.Mailbox()
		return len(msgs) == 1
	})
	m := msgs[0]
	if m.FromName != "Alice Mail" || m.ContentType != "video/webm" || !m.HasVideo || m.Heard {
		t.Fatalf("message %+v", m)
	}
	if m.DurationMS < 4500 || m.DurationMS > 5500 {
		t.Fatalf("message lasts %d ms, want 5 s ± 0.5 s", m.DurationMS)
	}
	// The stored length is the media the phone sent while recorded (from
	// the RTP timestamps it stamped), within two video frames.
	if diff := time.Duration(m.DurationMS)*time.Millisecond - sent; diff < -2*time.Second/30 || diff > 2*time.Second/30 {
		t.Fatalf("message lasts %d ms, but the phone sent %v of media while recorded", m.DurationMS, sent)
	}
	t.Logf("message lasts %d ms; the phone sent %v of media while recorded", m.DurationMS, sent)
	r := carol.Must(200, "GET", m.MediaURL, nil)
	if len(r.Body) < 10000 || r.Body[:4] != "\x1a\x45\xdf\xa3" {
		t.Fatalf("message file is %d bytes, starting %q: not WebM", len(r.Body), r.Body[:min(4, len(r.Body))])
	}
	// Only the owner: alice gets 404 for carol's message, by list and by id.
	if got, _ := alice.Mailbox(); len(got) != 0 {
		t.Fatalf("alice sees carol's messages: %+v", got)
	}
	alice.Must(404, "GET", m.MediaURL, nil)
	alice.Must(404, "PATCH", "/api/v1/mailbox/"+m.ID, `{"heard":true}`)
	alice.Must(404, "DELETE", "/api/v1/mailbox/"+m.ID, nil)
	apptest.NewClient(t, a).Must(401, "GET", m.MediaURL, nil)
	// The owner marks it heard, then deletes it.
	carol.Must(200, "PATCH", "/api/v1/mailbox/"+m.ID, `{"heard":true}`)
	if _, unheard := carol.Mailbox(); unheard != 0 {
		t.Fatalf("unheard after marking heard: %d", unheard)
	}
	carol.Must(204, "DELETE", "/api/v1/mailbox/"+m.ID, nil)
	carol.Must(404, "GET", m.MediaURL, nil)
}

func TestVoiceOnlyMessageIsOgg(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, dan := apptest.Member(t, a, "Alice Voice"), apptest.Member(t, a, "Dan Voice")
	pa := apptest.NewPhone(t, alice, base)
	pa.NoVideo = true
	pa.Send("call.dial", map[string]any{"number": dan.MyNumber(), "video": false})
	leaveMessage(t, pa, "", "offline", 2*time.Second)
	apptest.WaitFor(t, 10*time.Second, "the voice message", func() bool {
		msgs, unheard := dan.Mailbox()
		return len(msgs) == 1 && msgs[0].ContentType == "audio/ogg" && !msgs[0].HasVideo && unheard == 1
	})
}

func TestBusyAndUnansweredCallsGoToTheMailbox(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.RingTimeout = 2 * time.Second })
	base := apptest.ServeOnLoopback(t, a)
	alice, bob, eve := apptest.Member(t, a, "Alice Busy"), apptest.Member(t, a, "Bob Busy"), apptest.Member(t, a, "Eve Busy")
	pa, pb, pe := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base), apptest.NewPhone(t, eve, base)
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 3*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })

	// Nobody answers: after the ring timeout the mailbox takes over.
	pa.Send("call.dial", map[string]any{"number": bobNumber})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	pb.Expect("call.state", `"reason":"no answer"`, 10*time.Second)
	leaveMessage(t, pa, bobNumber, "no_answer", time.Second)

	// Bob declines eve's call: mailbox.
	pe.Send("call.dial", map[string]any{"number": bobNumber})
	id = apptest.CallIDOf(pe.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	pb.Send("call.decline", map[string]any{"callId": id})
	leaveMessage(t, pe, bobNumber, "declined", time.Second)

	// Bob talks to eve; alice's call finds him busy.
	pe.Send("call.dial", map[string]any{"number": bobNumber})
	id = apptest.CallIDOf(pe.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	pb.Send("call.answer", map[string]any{"callId": id})
	pe.Expect("call.state", `"state":"active"`, 5*time.Second)
	pa.Send("call.dial", map[string]any{"number": bobNumber})
	leaveMessage(t, pa, bobNumber, "busy", time.Second)
	apptest.WaitFor(t, 10*time.Second, "three messages for bob", func() bool {
		msgs, _ := bob.Mailbox()
		return len(msgs) == 3
	})
	// Bob, online, was told of each message as it arrived.
	pb.Expect("mailbox.count", `"unheard":3`, 10*time.Second)
}

// TestTwentyConcurrentCallsOnOneNode sets up twenty calls on one node, one
// after the other, then checks that all twenty carry media at the same
// time. The phones send paced-down media: at full rate (about 400 packets
// a second per call, each encrypted, forwarded and decrypted) forty pion
// phones and the SFU under -race on two cores starve ICE until calls fail,
// which measures the race detector, not the node; the sfu benchmark
// measures full-rate calls. It counts what arrived, never how fast: the
// deadlines only bound a machine that makes no progress at all.
func TestTwentyConcurrentCallsOnOneNode(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const n = 20
	type pair struct{ caller, callee *apptest.Phone }
	pairs := make([]pair, n)
	for i := range pairs {
		c, d := apptest.Member(t, a, fmt.Sprintf("Caller %02d", i)), apptest.Member(t, a, fmt.Sprintf("Callee %02d", i))
		p := pair{apptest.NewPhone(t, c, base), apptest.NewPhone(t, d, base)}
		p.caller.Slow, p.callee.Slow = true, true
		pairs[i] = p
		num := d.MyNumber()
		apptest.WaitFor(t, time.Minute, "callee online", func() bool { return c.Resolve(num).State == "available" })
		p.caller.Send("call.dial", map[string]any{"number": num, "video": true})
		// Generous waits: a loaded CI machine, not the node, sets the pace.
		id := apptest.CallIDOf(p.caller.Expect("call.state", `"state":"ringing"`, 30*time.Second))
		p.callee.Expect("call.incoming", id, 30*time.Second)
		p.callee.Send("call.answer", map[string]any{"callId": id})
		apptest.WaitMediaWithin(t, 3*time.Minute, p.caller, p.callee)
	}
	if got := a.Calls.ActiveCalls(); got != n {
		t.Fatalf("node hosts %d calls, want %d", got, n)
	}
	// All twenty at once: every phone keeps receiving both kinds of media.
	type counts struct{ audio, video int64 }
	before := make([]counts, 0, 2*n)
	var phones []*apptest.Phone
	for _, p := range pairs {
		for _, ph := range []*apptest.Phone{p.caller, p.callee} {
			a, v := ph.Received()
			before = append(before, counts{a, v})
			phones = append(phones, ph)
		}
	}
	defer func() {
		if t.Failed() {
			for i, ph := range phones {
				a, v := ph.Received()
				t.Logf("phone %2d: %d audio, %d video packets since all calls were up; %s", i, a-before[i].audio, v-before[i].video, ph.Describe())
			}
			t.Logf("node hosts %d calls", a.Calls.ActiveCalls())
		}
	}()
	apptest.WaitFor(t, 5*time.Minute, "media on all forty phones at once", func() bool {
		for i, ph := range phones {
			a, v := ph.Received()
			if a-before[i].audio < 25 || v-before[i].video < 25 {
				return false
			}
		}
		return true
	})
	if got := a.Calls.ActiveCalls(); got != n {
		t.Fatalf("node hosts %d calls after the media check, want %d", got, n)
	}
}

func TestSignalingAbuseNeverCrashesOrLeaksRooms(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, bob := apptest.Member(t, a, "Alice Fuzz"), apptest.Member(t, a, "Bob Fuzz")
	pa := apptest.NewPhone(t, alice, base)
	bobNumber := bob.MyNumber()
	var queue string
	a.DB.Table("numbers").Where("party_type = ?", "queue").Limit(1).Pluck("number", &queue)
	for _, tt := range []struct{ typ, data, want string }{
		{"call.dial", `{}`, "number is required"},
		{"call.dial", `{"number":"12"}`, "has 2"},
		{"call.dial", `{"number":"999999999990"}`, "nobody has the number"},
		{"call.dial", `{"number":"` + queue + `","context":{"productId":-1}}`, "not sold by"},
		{"call.dial", `{"number":"` + bobNumber + `","context":{"productId":1}}`, "sales number only"},
		{"call.dial", `{"callback":"qe_nope"}`, "no call back"},
		{"call.dial", `{"callback":"qe_nope","number":"` + bobNumber + `"}`, "names the queue entry only"},
		{"queue.choose", `{"callId":"call_000000000000000000000000","choice":"wait"}`, "no such call"},
		{"call.dial", `{"number":"` + bobNumber + `","extra":1}`, "malformed"},
		{"call.answer", `{"callId":"call_000000000000000000000000"}`, "no such call"},
		{"call.hangup", `{}`, "callId"},
		{"rtc.answer", `{"callId":"call_000000000000000000000000","sdp":"v=0"}`, "no such call"},
		{"rtc.candidate", `"x"`, "callId"},
		{"call.video.request", `{"callId":"` + strings.Repeat("x", 100) + `"}`, "callId"},
	} {
		pa.Send(tt.typ, rawJSON(tt.data))
		pa.Expect("error", tt.want, 5*time.Second)
	}
	// Out of order: answering or sending SDP for someone else's call.
	pa.Send("call.dial", map[string]any{"number": bobNumber})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"mailbox"`, 5*time.Second))
	pa.Send("call.answer", map[string]any{"callId": id})
	pa.Expect("error", "not for you", 5*time.Second)
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 10*time.Second)

	defer func() {
		if t.Failed() {
			t.Logf("rooms %d, calls %d, goroutines %d", a.SFU.RoomCount(), a.Calls.ActiveCalls(), runtime.NumGoroutine())
		}
	}()
	// 500 dial/hang-up cycles: rooms and goroutines come back down.
	before := runtime.NumGoroutine()
	for i := 0; i < 500; i++ {
		pa.Send("call.dial", map[string]any{"number": bobNumber})
		id := apptest.CallIDOf(pa.Expect("call.state", `"state":"mailbox"`, 5*time.Second))
		pa.Send("call.hangup", map[string]any{"callId": id})
		pa.Expect("call.state", `"state":"ended"`, 5*time.Second)
	}
	apptest.WaitFor(t, 15*time.Second, "rooms to close and goroutines to settle", func() bool {
		return a.SFU.RoomCount() == 0 && a.Calls.ActiveCalls() == 0 && runtime.NumGoroutine() <= before+10
	})
}

// rawJSON passes a JSON text through phone.send untouched.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestOwnGreetingIsRecordedByCallingYourOwnNumber(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	dora, alice := apptest.Member(t, a, "Dora Greeting"), apptest.Member(t, a, "Alice Greets")
	pd := apptest.NewPhone(t, dora, base)
	pd.NoVideo = true
	doraNumber := dora.MyNumber()
	pd.Send("call.dial", map[string]any{"number": doraNumber})
	m := pd.Expect("call.state", `"ownGreeting":true`, 5*time.Second)
	pd.Expect("call.state", `"state":"recording"`, 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // the greeting's length
	pd.Send("call.hangup", map[string]any{"callId": apptest.CallIDOf(m)})
	pd.Expect("call.state", `"state":"ended"`, 10*time.Second)
	apptest.WaitFor(t, 5*time.Second, "the greeting to be kept", func() bool {
		var box struct{ OwnGreeting bool }
		dora.Must(200, "GET", "/api/v1/mailbox", nil).JSON(t, &box)
		return box.OwnGreeting
	})
	pd.Close()
	apptest.WaitFor(t, 5*time.Second, "dora offline", func() bool { return alice.Resolve(doraNumber).State == "offline" })

	// A caller now hears Dora's 1.5 s greeting, not the 7 s default one.
	pa := apptest.NewPhone(t, alice, base)
	pa.Send("call.dial", map[string]any{"number": doraNumber, "video": true})
	select {
	case m := <-pa.Msgs:
		if m.Type != "call.state" || !strings.Contains(string(m.Data), `"state":"mailbox"`) {
			t.Fatalf("dialing dora: %s %s", m.Type, m.Data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer to the dial")
	}
	pa.Expect("call.state", `"state":"recording"`, 20*time.Second)
	// What the caller heard, not how long it took: Dora's greeting is about
	// 1.5 s of audio (75 packets of 20 ms), the default one 7 s (350).
	if a, _ := pa.Received(); a > 200 {
		t.Fatalf("the caller got %d greeting packets, over 4 s of audio: the default one played", a)
	}
	if a, _ := pa.Received(); a < 30 {
		t.Fatalf("the caller got %d greeting packets", a)
	}
	// Recording a greeting is not a call in Dora's history.
	var calls struct {
		Calls []struct{ CallerAccountID, CalleeAccountID string }
	}
	dora.Must(200, "GET", "/api/v1/calls", nil).JSON(t, &calls)
	for _, c := range calls.Calls {
		if c.CallerAccountID == c.CalleeAccountID {
			t.Fatalf("the greeting shows as a call: %+v", c)
		}
	}
}

// TestRingIsCalledOffWhenTheCallCannotBeRecorded: a member's call rings
// before its record is written; when the write fails, the callee's ring
// is called off, the caller hears the call ended with an error, no room
// or record is left, and the next dial rings as usual.
func TestRingIsCalledOffWhenTheCallCannotBeRecorded(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	alice, bob := apptest.Member(t, a, "Alice Unrecorded"), apptest.Member(t, a, "Bob Unrecorded")
	pa, pb := apptest.NewPhone(t, alice, base), apptest.NewPhone(t, bob, base)
	bobNumber := bob.MyNumber()
	apptest.WaitFor(t, 3*time.Second, "bob online", func() bool { return alice.Resolve(bobNumber).State == "available" })

	refuse, allow := []string{"CREATE TRIGGER refuse_calls BEFORE INSERT ON calls BEGIN SELECT RAISE(ABORT, 'calls refused by the test'); END"}, []string{"DROP TRIGGER refuse_calls"}
	if a.DB.Dialector.Name() == "postgres" {
		refuse = []string{
			"CREATE FUNCTION refuse_calls() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'calls refused by the test'; END $$ LANGUAGE plpgsql",
			"CREATE TRIGGER refuse_calls BEFORE INSERT ON calls FOR EACH ROW EXECUTE FUNCTION refuse_calls()",
		}
		allow = []string{"DROP TRIGGER refuse_calls ON calls", "DROP FUNCTION refuse_calls()"}
	}
	for _, q := range refuse {
		if err := a.DB.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	pa.Send("call.dial", map[string]any{"number": bobNumber})
	// The ring, the dial's error and the call's end: the error is the
	// dial's answer on the caller's socket, the states come by the bus,
	// so the error may come first.
	var id string
	ended, failed := false, false
	for deadline := time.After(10 * time.Second); id == "" || !ended || !failed; {
		select {
		case m := <-pa.Msgs:
			if m.Type == "call.state" && strings.Contains(string(m.Data), `"state":"ringing"`) {
				id = apptest.CallIDOf(m)
			}
			ended = ended || m.Type == "call.state" && strings.Contains(string(m.Data), `"state":"ended"`)
			failed = failed || m.Type == "error" && strings.Contains(string(m.Data), `"for":"call.dial"`)
		case <-deadline:
			t.Fatalf("the caller heard: ringing %v, ended %v, the dial's error %v; want all three", id != "", ended, failed)
		}
	}
	pb.Expect("call.incoming", id, 5*time.Second)
	pb.Expect("call.state", `"reason":"failed"`, 5*time.Second)
	apptest.WaitFor(t, 3*time.Second, "the room to close", func() bool { return a.SFU.RoomCount() == 0 })
	var calls int64
	a.DB.Table("calls").Count(&calls)
	if calls != 0 {
		t.Fatalf("a call whose record could not be written left %d records", calls)
	}

	for _, q := range allow {
		if err := a.DB.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	pa.Send("call.dial", map[string]any{"number": bobNumber})
	id = apptest.CallIDOf(pa.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.Expect("call.incoming", id, 5*time.Second)
	pa.Send("call.hangup", map[string]any{"callId": id})
	pb.Expect("call.state", `"reason":"cancelled"`, 5*time.Second)
	apptest.WaitFor(t, 3*time.Second, "the record of the second call", func() bool {
		st, out := apptest.CallRecord(t, a, id)
		return st == "ended" && out == "cancelled"
	})
}
