package agentdesk

import (
	"encoding/json"

	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

// The data of the signaling messages the contact center sends and receives
// (media/SIGNALING.md); "agent.state" carries an AgentState. media/cmd/tsproto
// writes their TypeScript twins; a ts:"…" tag gives a field's TypeScript
// type where Go's says too little.

// QueueOffer is the queue part of "call.incoming" on an agent's desk: the
// shopper the contact center offers this agent, and for how long it rings.
type QueueOffer struct {
	EntryID     string         `json:"entryId"`
	Store       media.StoreRef `json:"store"`
	RingSeconds int            `json:"ringSeconds"`
	Context     ShopperContext `json:"context"`
}

// QueueFallbackData is the data of "queue.fallback": no agent can take the
// shopper's call now, and these are the shopper's choices.
type QueueFallbackData struct {
	CallID  string   `json:"callId"`
	EntryID string   `json:"entryId"`
	Reason  string   `json:"reason" ts:"'no_agents' | 'max_wait'"`
	Choices []string `json:"choices" ts:"('message' | 'callback' | 'wait')[]"`
}

// QueueCallbackData is the data of "queue.callback": a shopper who asked
// for a call back is this agent's to call now.
type QueueCallbackData struct {
	EntryID string          `json:"entryId"`
	Shopper CallbackShopper `json:"shopper"`
	Context ShopperContext  `json:"context"`
}

// CallbackShopper is the shopper of a call back: a member with their
// number (12 digits, and grouped 4-4-4 in Display), or a guest.
type CallbackShopper struct {
	Name    string            `json:"name"`
	Number  *directory.Number `json:"number,omitempty"`
	Display string            `json:"display,omitempty"`
	Guest   bool              `json:"guest"`
}

// QueueChangedData is the data of "queue.changed" to a store's staff: how
// many shoppers its line holds now.
type QueueChangedData struct {
	Store   string `json:"store"`
	Waiting int    `json:"waiting"`
}

// CobrowseEntry is the data of "cobrowse.request", "cobrowse.start" and
// "cobrowse.stop", both ways.
type CobrowseEntry struct {
	EntryID string `json:"entryId" required:"true"`
}

// CobrowseEvents is the data of "cobrowse.events", both ways: a batch of
// rrweb events ({type, data, timestamp}), cleaned by the server.
type CobrowseEvents struct {
	EntryID string            `json:"entryId" required:"true"`
	Events  []json.RawMessage `json:"events"`
}

// CobrowseNavigate is the data of "cobrowse.navigate": a mall page the
// agent opens for the shopper.
type CobrowseNavigate struct {
	EntryID string `json:"entryId" required:"true"`
	Path    string `json:"path" required:"true"`
}

// CobrowsePoint is the data of "cobrowse.point": a spot on the shopper's
// viewport, each coordinate a fraction from 0 to 1.
type CobrowsePoint struct {
	EntryID string   `json:"entryId" required:"true"`
	X       *float64 `json:"x" required:"true"`
	Y       *float64 `json:"y" required:"true"`
}

// BoardDrawData is the data of "board.draw": a stroke (Points, Color,
// Width), a line of text (Text, X, Y, Color) or a product card by SKU (X, Y).
type BoardDrawData struct {
	EntryID string      `json:"entryId" required:"true"`
	Kind    string      `json:"kind" required:"true" ts:"'stroke' | 'text' | 'product'"`
	Color   string      `json:"color,omitempty"`
	Width   *float64    `json:"width,omitempty"`
	Points  [][]float64 `json:"points,omitempty" ts:"[number, number][]"`
	Text    string      `json:"text,omitempty"`
	X       *float64    `json:"x,omitempty"`
	Y       *float64    `json:"y,omitempty"`
	SKU     string      `json:"sku,omitempty"`
}

// BoardEraseData is the data of "board.erase".
type BoardEraseData struct {
	EntryID string `json:"entryId" required:"true"`
	ItemID  *int64 `json:"itemId" required:"true"`
}

// BoardItemData is the data of "board.item", sent to both parties: an
// item as stored.
type BoardItemData struct {
	EntryID string    `json:"entryId"`
	Item    BoardItem `json:"item"`
}

// BoardErasedData is the data of "board.erased", sent to both parties.
type BoardErasedData struct {
	EntryID string `json:"entryId"`
	ItemID  int64  `json:"itemId"`
}

// The contact center's older names for its message data.
type (
	cobrowseEntry    = CobrowseEntry
	cobrowseEvents   = CobrowseEvents
	cobrowseNavigate = CobrowseNavigate
	cobrowsePoint    = CobrowsePoint
	boardDraw        = BoardDrawData
	boardErase       = BoardEraseData
	boardDrawn       = BoardItemData
	boardErased      = BoardErasedData
)
