package media

import (
	"github.com/pion/webrtc/v4"

	"github.com/livemall/livemall/backend/web"
)

//go:generate go run ./cmd/tsproto -o client/messages.gen.ts

// Direction says who sends a message type.
type Direction int

// Directions of signaling messages.
const (
	ToServer Direction = iota // sent by devices
	ToDevice                  // sent by the server
)

// MessageType is one kind of signaling message and what its data holds.
type MessageType struct {
	Type      string
	Direction Direction
	Data      string
}

// Protocol is the signaling protocol, defined once: SIGNALING.md describes
// it, media/tsproto.Payloads gives each message's Go struct (from which
// media/client/messages.gen.ts is generated), and tests check the
// TypeScript, the document and the handlers a node registers against this
// list.
var Protocol = []MessageType{
	{"ping", ToServer, "none"},
	{"heartbeat", ToServer, "none; keeps the device's presence alive"},
	{"presence.set", ToServer, `{"state": "available" | "away"}`},
	{"directory.watch", ToServer, "none; subscribes to presence events"},
	{"call.dial", ToServer, `{"number", "video": bool, "avatar": bool, "context"?: {"productId"?, "appointment"?}} or {"callback": entryId, "video": bool}`},
	{"call.answer", ToServer, `{"callId"}`},
	{"call.decline", ToServer, `{"callId"}`},
	{"call.hangup", ToServer, `{"callId"}`},
	{"rtc.answer", ToServer, `{"callId", "sdp"}`},
	{"rtc.candidate", ToServer, `{"callId", "candidate": RTCIceCandidateInit}`},
	{"call.video.request", ToServer, `{"callId"}`},
	{"call.video.response", ToServer, `{"callId", "accept": bool}`},
	{"queue.choose", ToServer, `{"callId", "choice": "message" | "callback" | "wait"}`},
	{"call.invite", ToServer, `{"callId", "number"}; a party of a member's call adds another member`},
	{"cobrowse.request", ToServer, `{"entryId"}; the agent asks to see the shopper's screen`},
	{"cobrowse.start", ToServer, `{"entryId"}; the shopper allowed it`},
	{"cobrowse.events", ToServer, `{"entryId", "events": [rrweb event]}`},
	{"cobrowse.navigate", ToServer, `{"entryId", "path"}`},
	{"cobrowse.point", ToServer, `{"entryId", "x", "y"}`},
	{"cobrowse.stop", ToServer, `{"entryId"}`},
	{"board.draw", ToServer, `{"entryId", "kind": "stroke" | "text" | "product", "color"?, "width"?, "points"?: [[x, y]], "text"?, "x"?, "y"?, "sku"?}`},
	{"board.erase", ToServer, `{"entryId", "itemId"}`},

	{"hello", ToDevice, `{"accountId", "deviceId", "node", "connId", "heartbeatSeconds"}`},
	{"pong", ToDevice, "none"},
	{"error", ToDevice, `{"code", "message", "for"?: the type of the message it answers}`},
	{"presence", ToDevice, `{"accountId", "state": "available" | "busy" | "away" | "push" | "offline"}`},
	{"call.state", ToDevice, `{"callId", "state": "ringing" | "queued" | "callback" | "active" | "mailbox" | "recording" | "ended", "peer"?, "video"?, "outcome"?, "reason"?, "greeting"?, "maxSeconds"?, "entryId"?, "position"?, "waitSeconds"?, "store"?}`},
	{"call.incoming", ToDevice, `{"callId", "from": {"name", "number"?, "display"?}, "video", "avatar", "queue"?: {"entryId", "store", "ringSeconds", "context"}, "conference"?: {"invitedBy", "members"}}`},
	{"queue.fallback", ToDevice, `{"callId", "entryId", "reason": "no_agents" | "max_wait", "choices"}`},
	{"queue.callback", ToDevice, `{"entryId", "shopper": {"name", "number"?, "guest"}, "context"}`},
	{"queue.changed", ToDevice, `{"store", "waiting"}`},
	{"agent.state", ToDevice, `{"state", "since", "wrapUntil"?, "entryId"?}`},
	{"cobrowse.request", ToDevice, `{"entryId"}`},
	{"cobrowse.start", ToDevice, `{"entryId"}`},
	{"cobrowse.events", ToDevice, `{"entryId", "events"}`},
	{"cobrowse.navigate", ToDevice, `{"entryId", "path"}`},
	{"cobrowse.point", ToDevice, `{"entryId", "x", "y"}`},
	{"cobrowse.stop", ToDevice, `{"entryId"}`},
	{"board.item", ToDevice, `{"entryId", "item": {"id", "kind", "author": "shopper" | "agent", "color"?, "width"?, "points"?, "text"?, "x", "y", "product"?: {"sku", "name", "priceMinor", "currency", "image", "path"}, "createdAt"}}`},
	{"board.erased", ToDevice, `{"entryId", "itemId"}`},
	{"credit.update", ToDevice, `{"applicationId", "entryId", "store", "state", "step", "filled", "requestedLimitMinor", "limitMinor", "currency", "automatic", "reason"}`},
	{"rtc.offer", ToDevice, `{"callId", "sdp", "iceServers"?}`},
	{"rtc.candidate", ToDevice, `{"callId", "candidate"}`},
	{"call.roster", ToDevice, `{"callId", "role", "members": [{"id", "role", "name"?, "stream"?, "whisperTo"?}]}`},
	{"call.invited", ToDevice, `{"callId", "name", "display", "state": "ringing" | "joined" | "declined" | "no_answer" | "busy" | "offline", "message"}`},
	{"call.video.request", ToDevice, `{"callId"}`},
	{"call.video.response", ToDevice, `{"callId", "accept"}`},
	{"mailbox.count", ToDevice, `{"accountId", "unheard"}`},
	{"call.transfer", ToDevice, `{"callId", "transferId"?, "state", "mode"?, "to"?, "note"?}`},
}

// The payloads below are the data of the messages media itself sends or
// that every slice shares. Each slice declares its own in its messages.go;
// media/cmd/tsproto lists them all and writes their TypeScript twins to
// media/client/messages.gen.ts. A struct tag ts:"…" gives a field's
// TypeScript type where Go's type says too little (a string that takes
// a few values, a browser type).

// HelloData is the data of "hello", the first message on every connection.
type HelloData struct {
	AccountID string `json:"accountId"`
	DeviceID  string `json:"deviceId"`
	// Node is the server node holding this connection.
	Node string `json:"node"`
	// ConnID names this connection: an HTTP request that acts through it
	// names it (a supervisor stepping into a call from the desk).
	ConnID string `json:"connId"`
	// Guest says the connection belongs to a mall guest, not a member.
	Guest bool `json:"guest"`
	// HeartbeatSeconds is how often the device must send "heartbeat"; the
	// slice that keeps presence fills it in (see Signaling.HelloField).
	HeartbeatSeconds float64 `json:"heartbeatSeconds"`
}

// ErrorData is the data of "error": the JSON error body of the HTTP API
// plus the type of the message it answers, so a client with several
// messages in flight knows which one was refused.
type ErrorData struct {
	web.ErrorDetail
	// For is the type of the message this error answers ("" for none).
	For string `json:"for,omitempty"`
}

// RtcOfferData is the data of "rtc.offer": the server's SDP offer for one
// device's media connection. The participant fills SDP; the call fills
// CallID and the short-lived TURN servers.
type RtcOfferData struct {
	CallID     string             `json:"callId"`
	SDP        string             `json:"sdp"`
	ICEServers []webrtc.ICEServer `json:"iceServers,omitempty" ts:"RTCIceServer[]"`
}

// RtcCandidateData is the data of "rtc.candidate", either way: one
// trickled ICE candidate of a call's media connection.
type RtcCandidateData struct {
	CallID    string                  `json:"callId"`
	Candidate webrtc.ICECandidateInit `json:"candidate" ts:"RTCIceCandidateInit"`
}

// StoreRef names a store in messages: its slug (for links) and name.
type StoreRef struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Handled lists the message types a device may send that have a handler.
func (s *Signaling) Handled() []string {
	out := make([]string, 0, len(s.handlers))
	for t := range s.handlers {
		out = append(out, t)
	}
	return out
}
