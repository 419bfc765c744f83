package directory

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// TestSignalingPayloadsKeepTheWireFormat checks the message structs
// against the JSON the calls sent before they were structs: the same
// fields, absent where they were absent and present (even when zero) where
// they were present.
func TestSignalingPayloadsKeepTheWireFormat(t *testing.T) {
	n := Number("200000000001")
	cases := []struct {
		name string
		got  any
		want string
	}{
		{"ringing, voice", CallStateData{CallID: "c", State: callRinging, Peer: peerInfo("Ann", &n), Video: new(false)},
			`{"callId":"c","state":"ringing","peer":{"name":"Ann","number":"200000000001","display":"2000 0000 0001"},"video":false}`},
		{"ended with an empty reason", CallStateData{CallID: "c", State: callEnded, Outcome: outcomeAnswered, Reason: new("")},
			`{"callId":"c","state":"ended","outcome":"answered","reason":""}`},
		{"ringing stopped", CallStateData{CallID: "c", State: callEnded, Reason: new("no answer")},
			`{"callId":"c","state":"ended","reason":"no answer"}`},
		{"recording, no whole second", CallStateData{CallID: "c", State: "recording", MaxSeconds: new(0)},
			`{"callId":"c","state":"recording","maxSeconds":0}`},
		{"own greeting", CallStateData{CallID: "c", State: callMailbox, Greeting: "g", MaxSeconds: new(30), OwnGreeting: true},
			`{"callId":"c","state":"mailbox","greeting":"g","maxSeconds":30,"ownGreeting":true}`},
		{"queued", CallStateData{CallID: "c", State: "queued", EntryID: "qe_1", Video: new(true), Peer: peerInfo("Shop", &n), Store: &media.StoreRef{Slug: "s", Name: "Shop"}},
			`{"callId":"c","state":"queued","entryId":"qe_1","video":true,"peer":{"name":"Shop","number":"200000000001","display":"2000 0000 0001"},"store":{"slug":"s","name":"Shop"}}`},
		{"waiting, no wait", CallStateData{CallID: "c", State: "queued", EntryID: "qe_1", Position: 1, WaitSeconds: new(0), Store: &media.StoreRef{Slug: "s", Name: "Shop"}},
			`{"callId":"c","state":"queued","entryId":"qe_1","position":1,"waitSeconds":0,"store":{"slug":"s","name":"Shop"}}`},
		{"active, peer without number", CallStateData{CallID: "c", State: callActive, Peer: peerInfo("Agent", nil), EntryID: "qe_1"},
			`{"callId":"c","state":"active","peer":{"name":"Agent"},"entryId":"qe_1"}`},
		{"incoming from a member", CallIncomingData{CallID: "c", From: *peerInfo("Ann", &n), Video: false, Avatar: false},
			`{"callId":"c","from":{"name":"Ann","number":"200000000001","display":"2000 0000 0001"},"video":false,"avatar":false}`},
		{"incoming with an offer", CallIncomingData{CallID: "c", From: *peerInfo("Guest", nil), Video: true, Avatar: true, Queue: json.RawMessage(`{"entryId":"qe_1"}`)},
			`{"callId":"c","from":{"name":"Guest"},"video":true,"avatar":true,"queue":{"entryId":"qe_1"}}`},
		{"video request", VideoChoiceData{CallID: "c"}, `{"callId":"c"}`},
		{"video refused", VideoChoiceData{CallID: "c", Accept: new(false)}, `{"callId":"c","accept":false}`},
		{"mailbox count", MailboxCountData{AccountID: "a", Unheard: 0}, `{"accountId":"a","unheard":0}`},
		{"presence", PresenceData{AccountID: "a", State: StateBusy}, `{"accountId":"a","state":"busy"}`},
		{"call end", CallEndData{}, `{"reason":""}`},
		{"room refusal", roomVerdict{Error: &web.ErrorDetail{Code: "forbidden", Message: "no"}}, `{"error":{"code":"forbidden","message":"no"}}`},
		{"room yes", roomVerdict{}, `{}`},
		{"offer without TURN", media.RtcOfferData{CallID: "c", SDP: "v=0"}, `{"callId":"c","sdp":"v=0"}`},
		{"hello", media.HelloData{AccountID: "a", DeviceID: "d", Node: "n", ConnID: "c", HeartbeatSeconds: 15}, `{"accountId":"a","deviceId":"d","node":"n","connId":"c","guest":false,"heartbeatSeconds":15}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := json.Marshal(c.got)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(c.want), &want); err != nil {
				t.Fatalf("the case's JSON: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("on the wire:\n got %s\nwant %s", raw, c.want)
			}
		})
	}
}
