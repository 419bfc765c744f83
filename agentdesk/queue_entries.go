package agentdesk

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
)

// Queue entry states: waiting → offered → connected → served, or
// abandoned, callback (waits for a call back keeping its place), message
// (left a message for the store).
const (
	EntryWaiting   = "waiting"
	EntryOffered   = "offered"
	EntryConnected = "connected"
	EntryServed    = "served"
	EntryAbandoned = "abandoned"
	EntryCallback  = "callback"
	EntryMessage   = "message"
)

// inLine are the states of entries that hold a place in the queue.
var inLine = []string{EntryWaiting, EntryCallback}

// QueueEntry is one shopper in (or served by) a store's queue; once an
// agent answers it is the engagement.
type QueueEntry struct {
	ID             string            `gorm:"column:id;primaryKey"`
	StoreID        int64             `gorm:"column:store_id"`
	CallID         string            `gorm:"column:call_id"`
	Node           string            `gorm:"column:node"`
	ConnID         string            `gorm:"column:conn_id"`
	AgentConnID    *string           `gorm:"column:agent_conn_id"`
	DeviceID       string            `gorm:"column:device_id"`
	AccountID      *string           `gorm:"column:account_id"`
	GuestHash      *string           `gorm:"column:guest_hash"`
	ShopperName    string            `gorm:"column:shopper_name"`
	ShopperNumber  *directory.Number `gorm:"column:shopper_number"`
	ProductID      *int64            `gorm:"column:product_id"`
	Context        string            `gorm:"column:context"`
	Video          bool              `gorm:"column:video"`
	State          string            `gorm:"column:state"`
	Callback       bool              `gorm:"column:callback"`
	AgentAccountID *string           `gorm:"column:agent_account_id"`
	EnteredAt      time.Time         `gorm:"column:entered_at"`
	OfferedAt      *time.Time        `gorm:"column:offered_at"`
	AnsweredAt     *time.Time        `gorm:"column:answered_at"`
	EndedAt        *time.Time        `gorm:"column:ended_at"`
	FallbackAt     *time.Time        `gorm:"column:fallback_at"`
	Outcome        *string           `gorm:"column:outcome"`
	Note           string            `gorm:"column:note"`
	WrappedAt      *time.Time        `gorm:"column:wrapped_at"`
	// PreferredAgentID is the agent a booked call was booked with (nil for
	// an ordinary call); it puts the entry at the front of the line.
	PreferredAgentID *string `gorm:"column:preferred_agent_id"`
	// PreferredUntil is until when only that agent is offered the call.
	PreferredUntil *time.Time `gorm:"column:preferred_until"`
	// AppointmentID is the appointment whose token admitted a booked call
	// (nil for an ordinary call). One entry per appointment may hold it
	// while in line, connected or served (a unique index): a token buys
	// the front of the line once.
	AppointmentID *string `gorm:"column:appointment_id"`
}

// TableName tells GORM where queue entries live.
func (QueueEntry) TableName() string { return "queue_entries" }

// ShopperContext is what the agent's desk is shown about a shopper: the
// product they called from, their cart, and verified facts — never their
// birth date.
type ShopperContext struct {
	Product *ContextProduct `json:"product,omitempty"`
	Cart    ContextCart     `json:"cart"`
	Member  bool            `json:"member"`
	Facts   ContextFacts    `json:"facts"`
	// Booking is present when the call is a video call the shopper booked.
	Booking *ContextBooking `json:"booking,omitempty"`
	// Transfer is present when another agent transferred the shopper
	// (transfer.go): who, from which store, and why.
	Transfer *ContextTransfer `json:"transfer,omitempty"`
}

// ContextBooking says a call is a booked appointment: when its slot
// starts, the name the shopper booked under, and which agent it was
// booked with.
type ContextBooking struct {
	StartsAt  time.Time `json:"startsAt"`
	Name      string    `json:"name"`
	AgentID   string    `json:"agentId"`
	AgentName string    `json:"agentName"`
}

// ContextProduct is the product a shopper called from.
type ContextProduct struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	SKU        string `json:"sku"`
	PriceMinor int64  `json:"priceMinor"`
	Currency   string `json:"currency"`
	Image      string `json:"image"`
	AgeLimit   int    `json:"ageLimit"`
	Path       string `json:"path"`
}

// ContextCart is the shopper's cart when they called.
type ContextCart struct {
	Lines      []ContextLine `json:"lines"`
	TotalMinor int64         `json:"totalMinor"`
	Currency   string        `json:"currency"`
}

// ContextLine is one line of the cart.
type ContextLine struct {
	ProductID      int64  `json:"productId"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unitPriceMinor"`
}

// ContextFacts are verified facts about a member shopper.
type ContextFacts struct {
	Over18        *bool `json:"over18,omitempty"`
	Over21        *bool `json:"over21,omitempty"`
	EmailVerified *bool `json:"emailVerified,omitempty"`
}

// shopperContext gathers what the desk shows about a queued call.
func (q *Queue) shopperContext(ctx context.Context, qc directory.QueuedCall) ShopperContext {
	out := ShopperContext{Member: qc.AccountID != "", Cart: ContextCart{Lines: []ContextLine{}, Currency: mall.Currency}}
	if qc.ProductID != 0 {
		if p, slug, err := q.stores.ProductInStore(ctx, qc.ProductID); err == nil {
			out.Product = &ContextProduct{ID: p.ID, Name: p.Name, SKU: p.SKU, PriceMinor: p.PriceMinor, Currency: mall.Currency, AgeLimit: p.AgeLimit,
				Image: mall.ProductImageURL(slug, p.SKU), Path: "/store/" + slug + "/product/" + p.SKU}
		}
	}
	if q.carts != nil {
		if v, err := q.carts.View(ctx, mall.Shopper{AccountID: qc.AccountID, GuestHash: qc.Guest}); err == nil {
			for _, it := range v.Items {
				out.Cart.Lines = append(out.Cart.Lines, ContextLine{ProductID: it.ProductID, Name: it.Name, Quantity: it.Quantity, UnitPriceMinor: it.UnitPriceMinor})
			}
			out.Cart.TotalMinor = v.TotalMinor
		}
	}
	if qc.AccountID != "" {
		refs, _ := q.accounts.Refs(ctx, []string{qc.AccountID})
		a := refs[qc.AccountID]
		if age, ok := mall.AgeOn(a.BirthDate, time.Now().UTC()); ok { // the mall's one age rule
			over18, over21 := age >= 18, age >= 21
			out.Facts.Over18, out.Facts.Over21 = &over18, &over21
		}
		verified, _ := q.dir.EmailVerified(ctx, qc.AccountID)
		out.Facts.EmailVerified = &verified
	}
	return out
}

// entryOf loads a queue entry.
func entryOf(tx *gorm.DB, id string) (*QueueEntry, error) {
	var e QueueEntry
	if err := tx.Where("id = ?", id).Take(&e).Error; err != nil {
		return nil, err
	}
	return &e, nil
}

// contextOf decodes an entry's stored context.
func (e *QueueEntry) contextOf() ShopperContext {
	var c ShopperContext
	json.Unmarshal([]byte(e.Context), &c)
	if c.Cart.Lines == nil {
		c.Cart.Lines = []ContextLine{}
	}
	return c
}
