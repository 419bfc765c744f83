package directory

import (
	"encoding/json"

	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// The data of the signaling messages the directory and its calls send and
// receive (media/SIGNALING.md). media/cmd/tsproto writes their TypeScript
// twins; a ts:"…" tag gives a field's TypeScript type where Go's says too
// little.

// SetPresenceData is the data of "presence.set": the member's chosen state.
type SetPresenceData struct {
	State State `json:"state" ts:"'available' | 'away'"`
}

// PresenceData is the data of "presence": a watched member's state changed.
type PresenceData struct {
	AccountID string `json:"accountId"`
	State     State  `json:"state" ts:"'available' | 'busy' | 'away' | 'push' | 'offline'"`
}

// DialData is the data of "call.dial": a number to call (with context
// when it is a store's sales number), or the queue entry an agent calls
// back. Video false is a voice call; Avatar hides the caller's camera.
// Message leaves a message for the member at Number without ringing them
// (the caller's offer after "that member's region cannot be reached":
// it is kept here and delivered when their region can be reached).
type DialData struct {
	Number   string       `json:"number,omitempty"`
	Video    bool         `json:"video"`
	Avatar   bool         `json:"avatar,omitempty"`
	Message  bool         `json:"message,omitempty"`
	Context  *DialContext `json:"context,omitempty"`
	Callback string       `json:"callback,omitempty"`
}

// DialContext is what a shopper's call to a store says about them: the
// product they called from, and the capability token of the appointment
// they booked with the store when the call is that booked call (the queue
// then rings the agent they booked first; a token that does not check out
// is ignored, never refused).
type DialContext struct {
	ProductID   int64  `json:"productId,omitempty"`
	Appointment string `json:"appointment,omitempty"`
}

// CallRef is the data of the messages that only name a call:
// "call.answer", "call.decline", "call.hangup" and "call.video.request".
type CallRef struct {
	CallID string `json:"callId"`
}

// RtcAnswerData is the data of "rtc.answer": the device's SDP answer to
// the server's "rtc.offer".
type RtcAnswerData struct {
	CallID string `json:"callId"`
	SDP    string `json:"sdp"`
}

// VideoChoiceData is the data of "call.video.request" (no Accept) and
// "call.video.response", relayed between the two sides of a call.
type VideoChoiceData struct {
	CallID string `json:"callId"`
	Accept *bool  `json:"accept,omitempty"`
}

// QueueChooseData is the data of "queue.choose": a waiting shopper's
// answer to "queue.fallback".
type QueueChooseData struct {
	CallID string `json:"callId"`
	Choice string `json:"choice" ts:"'message' | 'callback' | 'wait'"`
}

// CallParty names the other side of a call: Number is 12 digits and
// Display the same grouped 4-4-4, both absent when the side has no number.
type CallParty struct {
	Name    string  `json:"name"`
	Number  *Number `json:"number,omitempty"`
	Display string  `json:"display,omitempty"`
}

// CallStateData is the data of "call.state": a call moved. Pointer fields
// are absent from states that do not carry them and present (even when
// zero) in those that do.
type CallStateData struct {
	CallID string     `json:"callId"`
	State  string     `json:"state" ts:"'ringing' | 'queued' | 'callback' | 'active' | 'mailbox' | 'recording' | 'ended'"`
	Peer   *CallParty `json:"peer,omitempty"`
	Video  *bool      `json:"video,omitempty"`
	// Outcome is how the call ended, or why it went to the mailbox.
	Outcome string  `json:"outcome,omitempty" ts:"'answered' | 'declined' | 'no_answer' | 'busy' | 'offline' | 'cancelled' | 'failed'"`
	Reason  *string `json:"reason,omitempty"`
	// Greeting is the text of the callee's greeting (mailbox state).
	Greeting string `json:"greeting,omitempty"`
	// MaxSeconds is the longest message the mailbox records.
	MaxSeconds *int `json:"maxSeconds,omitempty"`
	// OwnGreeting says the caller records their own greeting.
	OwnGreeting bool `json:"ownGreeting,omitempty"`
	// EntryID names the queue entry (the engagement) of a call to a store.
	EntryID string `json:"entryId,omitempty"`
	// Position is the shopper's place in the store's queue (1 = next).
	Position int `json:"position,omitempty"`
	// WaitSeconds is the estimated wait in the queue.
	WaitSeconds *int `json:"waitSeconds,omitempty"`
	// Store is the store whose queue the call waits in.
	Store *media.StoreRef `json:"store,omitempty"`
}

// CallIncomingData is the data of "call.incoming": this device rings.
// Avatar says the caller hides behind an avatar; Queue is the contact
// center's offer (agentdesk.QueueOffer) when a store's shopper is offered
// to an agent.
type CallIncomingData struct {
	CallID string          `json:"callId"`
	From   CallParty       `json:"from"`
	Video  bool            `json:"video"`
	Avatar bool            `json:"avatar"`
	Queue  json.RawMessage `json:"queue,omitempty" ts:"QueueOffer"`
	// Conference is set when a party of a call in progress adds this
	// member to it (call.invite): answering joins the call.
	Conference *ConferenceData `json:"conference,omitempty"`
}

// ConferenceData tells a ringing member that the call is one in progress
// they are added to: who adds them and who is in it.
type ConferenceData struct {
	InvitedBy string   `json:"invitedBy"`
	Members   []string `json:"members"`
}

// InviteData is the data of "call.invite": a party of a member's answered
// call adds the member at Number (12 digits, spaces allowed).
type InviteData struct {
	CallID string `json:"callId"`
	Number string `json:"number"`
}

// InvitedData is the data of "call.invited", sent to the parties of a
// call: how adding someone stands. Message says it in words ("Sam did not
// answer").
type InvitedData struct {
	CallID  string `json:"callId"`
	Name    string `json:"name"`
	Display string `json:"display"`
	State   string `json:"state" ts:"'ringing' | 'joined' | 'declined' | 'no_answer' | 'busy' | 'offline'"`
	Message string `json:"message"`
}

// MailboxCountData is the data of "mailbox.count": the member's unheard
// messages changed.
type MailboxCountData struct {
	AccountID string `json:"accountId"`
	Unheard   int64  `json:"unheard"`
}

// CallEndData is the data of the contact center's "call.end" to a call's
// room: end the call, telling both sides why.
type CallEndData struct {
	Reason string `json:"reason"`
}

// roomVerdict is a room's reply to a message: {} or the refusal.
type roomVerdict struct {
	Error *web.ErrorDetail `json:"error,omitempty"`
}

// The directory's older names for its message data.
type (
	dialRequest = DialData
	dialContext = DialContext
	callRef     = CallRef
	setPresence = SetPresenceData
)
