package app

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/config"
)

// member signs up a client on its own device.
func member(t *testing.T, a *App, name string) *client {
	t.Helper()
	c := newClient(t, a)
	c.signUp(name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.com", "1990-01-01")
	return c
}

// waitMedia waits until both phones received audio and video.
func waitMedia(t *testing.T, phones ...*phone) {
	t.Helper()
	waitMediaWithin(t, 20*time.Second, phones...)
}

// waitMediaWithin waits up to d until the phones received audio and video.
func waitMediaWithin(t *testing.T, d time.Duration, phones ...*phone) {
	t.Helper()
	defer func() {
		if t.Failed() {
			for i, p := range phones {
				a, v := p.received()
				t.Logf("phone %d received %d audio, %d video packets; %s", i, a, v, p.describe())
			}
		}
	}()
	waitFor(t, d, "media both ways", func() bool {
		for _, p := range phones {
			a, v := p.received()
			if a < 25 || v < 25 {
				return false
			}
		}
		return true
	})
}

// callRecord reads a call's stored record.
func callRecord(t *testing.T, a *App, id string) (state, outcome string) {
	t.Helper()
	var r struct {
		State   string
		Outcome *string
	}
	a.DB.Table("calls").Select("state, outcome").Where("id = ?", id).Take(&r)
	if r.Outcome != nil {
		outcome = *r.Outcome
	}
	return r.State, outcome
}

func TestCallBetweenTwoOnlineMembersCarriesMediaBothWays(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	alice, bob := member(t, a, "Alice Call"), member(t, a, "Bob Call")
	pa, pb := newPhone(t, alice, base), newPhone(t, bob, base)
	bobNumber := bob.myNumber()
	waitFor(t, 3*time.Second, "bob online", func() bool { return alice.resolve(bobNumber).State == "available" })

	pa.send("call.dial", map[string]any{"number": bobNumber, "video": true})
	ringing := pa.expect("call.state", `"state":"ringing"`, 5*time.Second)
	id := callIDOf(ringing)
	in := pb.expect("call.incoming", id, 5*time.Second)
	if !strings.Contains(string(in.Data), "Alice Call") {
		t.Fatalf("incoming call does not name the caller: %s", in.Data)
	}
	pb.send("call.answer", map[string]any{"callId": id})
	pa.expect("call.state", `"state":"active"`, 5*time.Second)
	pb.expect("call.state", `"state":"active"`, 5*time.Second)
	waitMedia(t, pa, pb)
	if st := alice.resolve(bobNumber).State; st != "busy" {
		t.Fatalf("bob in a call is %s, want busy", st)
	}
	pb.send("call.hangup", map[string]any{"callId": id})
	pa.expect("call.state", `"state":"ended"`, 5*time.Second)
	waitFor(t, 3*time.Second, "the call record", func() bool {
		st, out := callRecord(t, a, id)
		return st == "ended" && out == "answered"
	})
	if a.SFU.RoomCount() != 0 {
		t.Fatalf("%d rooms left open", a.SFU.RoomCount())
	}
}

func TestCallerCancelsWhileRinging(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	alice, bob := member(t, a, "Alice Cancel"), member(t, a, "Bob Cancel")
	pa, pb := newPhone(t, alice, base), newPhone(t, bob, base)
	bobNumber := bob.myNumber()
	waitFor(t, 3*time.Second, "bob online", func() bool { return alice.resolve(bobNumber).State == "available" })
	pa.send("call.dial", map[string]any{"number": bobNumber})
	id := callIDOf(pa.expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.expect("call.incoming", id, 5*time.Second)
	pa.send("call.hangup", map[string]any{"callId": id})
	pb.expect("call.state", `"reason":"cancelled"`, 5*time.Second)
	waitFor(t, 3*time.Second, "a missed-call record", func() bool {
		st, out := callRecord(t, a, id)
		return st == "ended" && out == "cancelled"
	})
	var msgs int64
	a.DB.Table("messages").Count(&msgs)
	if msgs != 0 {
		t.Fatalf("a cancelled call left %d messages", msgs)
	}
	// Answering now is refused: the call is gone.
	pb.send("call.answer", map[string]any{"callId": id})
	pb.expect("error", "no such call", 5*time.Second)
}

// leaveMessage has the caller's phone leave a message of d of media. Like a
// caller who waits for the tone, the phone holds its media from the
// greeting on; once told it is recording it sends d of media (counted in
// its media timestamps, so a busy machine sends as much, only later), holds
// again, waits until the node received every audio packet it sent, and
// hangs up. It returns the call id and the media time the phone sent while
// recorded (the longer of its two tracks).
func leaveMessage(t *testing.T, pa *phone, number, wantOutcome string, d time.Duration) (id string, sent time.Duration) {
	t.Helper()
	m := pa.expect("call.state", `"state":"mailbox"`, 10*time.Second)
	pa.holdMedia()
	defer pa.resumeMedia() // the phone's next call sends from the start
	if !strings.Contains(string(m.Data), `"outcome":"`+wantOutcome+`"`) {
		t.Fatalf("mailbox for the wrong reason: %s", m.Data)
	}
	id = callIDOf(m)
	pa.expect("call.state", `"state":"recording"`, 30*time.Second)
	room := pa.c.app.SFU.Room(id)
	if room == nil || room.Participant("caller") == nil {
		t.Fatalf("call %s records but has no caller in its room", id)
	}
	caller := room.Participant("caller")
	audio0, video0, packets0 := pa.sentMedia()
	got0, _ := caller.Received()
	pa.resumeMedia()
	waitFor(t, d+time.Minute, "the phone to send the message's media", func() bool {
		audio, _, _ := pa.sentMedia()
		return audio-audio0 >= d
	})
	pa.holdMedia()
	audio, video, packets := pa.sentMedia()
	waitFor(t, 30*time.Second, "the node to receive the message's audio", func() bool {
		got, _ := caller.Received()
		return got-got0 >= packets-packets0
	})
	pa.send("call.hangup", map[string]any{"callId": id})
	// Ending saves the message first (file and row): a loaded machine takes
	// its time.
	pa.expect("call.state", `"state":"ended"`, 30*time.Second)
	return id, max(audio-audio0, video-video0)
}

// mailbox lists a client's messages.
func (c *client) mailbox() (msgs []struct {
	ID, FromName, ContentType, MediaURL string
	DurationMS                          int64
	HasVideo, Heard                     bool
}, unheard int) {
	c.t.Helper()
	var box struct {
		Messages []struct {
			ID, FromName, ContentType, MediaURL string
			DurationMS                          int64
			HasVideo, Heard                     bool
		}
		Unheard int
	}
	c.must(200, "GET", "/api/v1/mailbox", nil).json(c.t, &box)
	return box.Messages, box.Unheard
}

func TestOfflineCalleeGetsAFiveSecondVideoMessage(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	alice, carol := member(t, a, "Alice Mail"), member(t, a, "Carol Offline")
	pa := newPhone(t, alice, base)
	carolNumber := carol.myNumber()
	pa.send("call.dial", map[string]any{"number": carolNumber, "video": true})
	_, sent := leaveMessage(t, pa, carolNumber, "offline", 5*time.Second)

	var msgs []struct {
		ID, FromName, ContentType, MediaURL string
		DurationMS                          int64
		HasVideo, Heard                     bool
	}
	waitFor(t, 10*time.Second, "the message in carol's mailbox", func() bool {
		msgs, _ = carol.mailbox()
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
	r := carol.must(200, "GET", m.MediaURL, nil)
	if len(r.Body) < 10000 || r.Body[:4] != "\x1a\x45\xdf\xa3" {
		t.Fatalf("message file is %d bytes, starting %q: not WebM", len(r.Body), r.Body[:min(4, len(r.Body))])
	}
	// Only the owner: alice gets 404 for carol's message, by list and by id.
	if got, _ := alice.mailbox(); len(got) != 0 {
		t.Fatalf("alice sees carol's messages: %+v", got)
	}
	alice.must(404, "GET", m.MediaURL, nil)
	alice.must(404, "PATCH", "/api/v1/mailbox/"+m.ID, `{"heard":true}`)
	alice.must(404, "DELETE", "/api/v1/mailbox/"+m.ID, nil)
	newClient(t, a).must(401, "GET", m.MediaURL, nil)
	// The owner marks it heard, then deletes it.
	carol.must(200, "PATCH", "/api/v1/mailbox/"+m.ID, `{"heard":true}`)
	if _, unheard := carol.mailbox(); unheard != 0 {
		t.Fatalf("unheard after marking heard: %d", unheard)
	}
	carol.must(204, "DELETE", "/api/v1/mailbox/"+m.ID, nil)
	carol.must(404, "GET", m.MediaURL, nil)
}

func TestVoiceOnlyMessageIsOgg(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	alice, dan := member(t, a, "Alice Voice"), member(t, a, "Dan Voice")
	pa := newPhone(t, alice, base)
	pa.noVideo = true
	pa.send("call.dial", map[string]any{"number": dan.myNumber(), "video": false})
	leaveMessage(t, pa, "", "offline", 2*time.Second)
	waitFor(t, 10*time.Second, "the voice message", func() bool {
		msgs, unheard := dan.mailbox()
		return len(msgs) == 1 && msgs[0].ContentType == "audio/ogg" && !msgs[0].HasVideo && unheard == 1
	})
}

func TestBusyAndUnansweredCallsGoToTheMailbox(t *testing.T) {
	a := newTestApp(t, func(c *config.Config) { c.RingTimeout = 2 * time.Second })
	base := serveOnLoopback(t, a)
	alice, bob, eve := member(t, a, "Alice Busy"), member(t, a, "Bob Busy"), member(t, a, "Eve Busy")
	pa, pb, pe := newPhone(t, alice, base), newPhone(t, bob, base), newPhone(t, eve, base)
	bobNumber := bob.myNumber()
	waitFor(t, 3*time.Second, "bob online", func() bool { return alice.resolve(bobNumber).State == "available" })

	// Nobody answers: after the ring timeout the mailbox takes over.
	pa.send("call.dial", map[string]any{"number": bobNumber})
	id := callIDOf(pa.expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.expect("call.incoming", id, 5*time.Second)
	pb.expect("call.state", `"reason":"no answer"`, 10*time.Second)
	leaveMessage(t, pa, bobNumber, "no_answer", time.Second)

	// Bob declines eve's call: mailbox.
	pe.send("call.dial", map[string]any{"number": bobNumber})
	id = callIDOf(pe.expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.expect("call.incoming", id, 5*time.Second)
	pb.send("call.decline", map[string]any{"callId": id})
	leaveMessage(t, pe, bobNumber, "declined", time.Second)

	// Bob talks to eve; alice's call finds him busy.
	pe.send("call.dial", map[string]any{"number": bobNumber})
	id = callIDOf(pe.expect("call.state", `"state":"ringing"`, 5*time.Second))
	pb.expect("call.incoming", id, 5*time.Second)
	pb.send("call.answer", map[string]any{"callId": id})
	pe.expect("call.state", `"state":"active"`, 5*time.Second)
	pa.send("call.dial", map[string]any{"number": bobNumber})
	leaveMessage(t, pa, bobNumber, "busy", time.Second)
	waitFor(t, 10*time.Second, "three messages for bob", func() bool {
		msgs, _ := bob.mailbox()
		return len(msgs) == 3
	})
	// Bob, online, was told of each message as it arrived.
	pb.expect("mailbox.count", `"unheard":3`, 10*time.Second)
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
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	const n = 20
	type pair struct{ caller, callee *phone }
	pairs := make([]pair, n)
	for i := range pairs {
		c, d := member(t, a, fmt.Sprintf("Caller %02d", i)), member(t, a, fmt.Sprintf("Callee %02d", i))
		p := pair{newPhone(t, c, base), newPhone(t, d, base)}
		p.caller.slow, p.callee.slow = true, true
		pairs[i] = p
		num := d.myNumber()
		waitFor(t, time.Minute, "callee online", func() bool { return c.resolve(num).State == "available" })
		p.caller.send("call.dial", map[string]any{"number": num, "video": true})
		// Generous waits: a loaded CI machine, not the node, sets the pace.
		id := callIDOf(p.caller.expect("call.state", `"state":"ringing"`, 30*time.Second))
		p.callee.expect("call.incoming", id, 30*time.Second)
		p.callee.send("call.answer", map[string]any{"callId": id})
		waitMediaWithin(t, 3*time.Minute, p.caller, p.callee)
	}
	if got := a.Calls.ActiveCalls(); got != n {
		t.Fatalf("node hosts %d calls, want %d", got, n)
	}
	// All twenty at once: every phone keeps receiving both kinds of media.
	type counts struct{ audio, video int64 }
	before := make([]counts, 0, 2*n)
	var phones []*phone
	for _, p := range pairs {
		for _, ph := range []*phone{p.caller, p.callee} {
			a, v := ph.received()
			before = append(before, counts{a, v})
			phones = append(phones, ph)
		}
	}
	defer func() {
		if t.Failed() {
			for i, ph := range phones {
				a, v := ph.received()
				t.Logf("phone %2d: %d audio, %d video packets since all calls were up; %s", i, a-before[i].audio, v-before[i].video, ph.describe())
			}
			t.Logf("node hosts %d calls", a.Calls.ActiveCalls())
		}
	}()
	waitFor(t, 5*time.Minute, "media on all forty phones at once", func() bool {
		for i, ph := range phones {
			a, v := ph.received()
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
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	alice, bob := member(t, a, "Alice Fuzz"), member(t, a, "Bob Fuzz")
	pa := newPhone(t, alice, base)
	bobNumber := bob.myNumber()
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
		pa.send(tt.typ, rawJSON(tt.data))
		pa.expect("error", tt.want, 5*time.Second)
	}
	// Out of order: answering or sending SDP for someone else's call.
	pa.send("call.dial", map[string]any{"number": bobNumber})
	id := callIDOf(pa.expect("call.state", `"state":"mailbox"`, 5*time.Second))
	pa.send("call.answer", map[string]any{"callId": id})
	pa.expect("error", "not for you", 5*time.Second)
	pa.send("call.hangup", map[string]any{"callId": id})
	pa.expect("call.state", `"state":"ended"`, 10*time.Second)

	defer func() {
		if t.Failed() {
			t.Logf("rooms %d, calls %d, goroutines %d", a.SFU.RoomCount(), a.Calls.ActiveCalls(), runtime.NumGoroutine())
		}
	}()
	// 500 dial/hang-up cycles: rooms and goroutines come back down.
	before := runtime.NumGoroutine()
	for i := 0; i < 500; i++ {
		pa.send("call.dial", map[string]any{"number": bobNumber})
		id := callIDOf(pa.expect("call.state", `"state":"mailbox"`, 5*time.Second))
		pa.send("call.hangup", map[string]any{"callId": id})
		pa.expect("call.state", `"state":"ended"`, 5*time.Second)
	}
	waitFor(t, 15*time.Second, "rooms to close and goroutines to settle", func() bool {
		return a.SFU.RoomCount() == 0 && a.Calls.ActiveCalls() == 0 && runtime.NumGoroutine() <= before+10
	})
}

// rawJSON passes a JSON text through phone.send untouched.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestOwnGreetingIsRecordedByCallingYourOwnNumber(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	dora, alice := member(t, a, "Dora Greeting"), member(t, a, "Alice Greets")
	pd := newPhone(t, dora, base)
	pd.noVideo = true
	doraNumber := dora.myNumber()
	pd.send("call.dial", map[string]any{"number": doraNumber})
	m := pd.expect("call.state", `"ownGreeting":true`, 5*time.Second)
	pd.expect("call.state", `"state":"recording"`, 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // the greeting's length
	pd.send("call.hangup", map[string]any{"callId": callIDOf(m)})
	pd.expect("call.state", `"state":"ended"`, 10*time.Second)
	waitFor(t, 5*time.Second, "the greeting to be kept", func() bool {
		var box struct{ OwnGreeting bool }
		dora.must(200, "GET", "/api/v1/mailbox", nil).json(t, &box)
		return box.OwnGreeting
	})
	pd.close()
	waitFor(t, 5*time.Second, "dora offline", func() bool { return alice.resolve(doraNumber).State == "offline" })

	// A caller now hears Dora's 1.5 s greeting, not the 7 s default one.
	pa := newPhone(t, alice, base)
	pa.send("call.dial", map[string]any{"number": doraNumber, "video": true})
	select {
	case m := <-pa.msgs:
		if m.Type != "call.state" || !strings.Contains(string(m.Data), `"state":"mailbox"`) {
			t.Fatalf("dialing dora: %s %s", m.Type, m.Data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer to the dial")
	}
	pa.expect("call.state", `"state":"recording"`, 20*time.Second)
	// What the caller heard, not how long it took: Dora's greeting is about
	// 1.5 s of audio (75 packets of 20 ms), the default one 7 s (350).
	if a, _ := pa.received(); a > 200 {
		t.Fatalf("the caller got %d greeting packets, over 4 s of audio: the default one played", a)
	}
	if a, _ := pa.received(); a < 30 {
		t.Fatalf("the caller got %d greeting packets", a)
	}
	// Recording a greeting is not a call in Dora's history.
	var calls struct {
		Calls []struct{ CallerAccountID, CalleeAccountID string }
	}
	dora.must(200, "GET", "/api/v1/calls", nil).json(t, &calls)
	for _, c := range calls.Calls {
		if c.CallerAccountID == c.CalleeAccountID {
			t.Fatalf("the greeting shows as a call: %+v", c)
		}
	}
}
