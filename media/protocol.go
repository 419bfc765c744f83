package media

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
// it, the TypeScript client (media/client/protocol.ts) declares the same
// types, and a test checks both against this list and against the
// handlers a node registers.
var Protocol = []MessageType{
	{"ping", ToServer, "none"},
	{"heartbeat", ToServer, "none; keeps the device's presence alive"},
	{"presence.set", ToServer, `{"state": "available" | "away"}`},
	{"directory.watch", ToServer, "none; subscribes to presence events"},
	{"call.dial", ToServer, `{"number", "video": bool, "avatar": bool}`},
	{"call.answer", ToServer, `{"callId"}`},
	{"call.decline", ToServer, `{"callId"}`},
	{"call.hangup", ToServer, `{"callId"}`},
	{"rtc.answer", ToServer, `{"callId", "sdp"}`},
	{"rtc.candidate", ToServer, `{"callId", "candidate": RTCIceCandidateInit}`},
	{"call.video.request", ToServer, `{"callId"}`},
	{"call.video.response", ToServer, `{"callId", "accept": bool}`},

	{"hello", ToDevice, `{"accountId", "deviceId", "node", "heartbeatSeconds"}`},
	{"pong", ToDevice, "none"},
	{"error", ToDevice, `{"code", "message"}`},
	{"presence", ToDevice, `{"accountId", "state": "available" | "busy" | "away" | "offline"}`},
	{"call.state", ToDevice, `{"callId", "state": "ringing" | "active" | "mailbox" | "recording" | "ended", "peer"?, "video"?, "outcome"?, "reason"?, "greeting"?, "maxSeconds"?}`},
	{"call.incoming", ToDevice, `{"callId", "from": {"name", "number"?, "display"?}, "video", "avatar"}`},
	{"rtc.offer", ToDevice, `{"callId", "sdp", "iceServers"?}`},
	{"rtc.candidate", ToDevice, `{"callId", "candidate"}`},
	{"call.video.request", ToDevice, `{"callId"}`},
	{"call.video.response", ToDevice, `{"callId", "accept"}`},
	{"mailbox.count", ToDevice, `{"accountId", "unheard"}`},
}

// Handled lists the message types a device may send that have a handler.
func (s *Signaling) Handled() []string {
	out := make([]string, 0, len(s.handlers))
	for t := range s.handlers {
		out = append(out, t)
	}
	return out
}
