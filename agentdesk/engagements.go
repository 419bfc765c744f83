package agentdesk

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// Engagements is the life of a call an agent answered: who is on the
// other side (co-browsing and the whiteboard ask it), the witness of an
// age check, the calls an order's refusal ends, the shared cart and its
// suggestions, the wrap-up note, and the figures of the day (the live
// view, an agent's own tile). The Queue hands shoppers to agents; from the
// answer on, an entry is an engagement and its row is read here. It runs
// no loop of its own.
type Engagements struct {
	db       *gorm.DB
	calls    LiveCalls
	sales    Sales
	accounts Accounts
	carts    *mall.Carts
	log      *slog.Logger
}

// LiveCalls is what the engagements need from the calls: requests to the
// room of a call in progress, on whichever node hosts it
// (directory.Rooms implements it).
type LiveCalls interface {
	// VideoLive confirms the shopper's camera is live in the call now.
	VideoLive(ctx context.Context, callID string) error
	// EndCall ends the call from the server's side, telling both sides why.
	EndCall(ctx context.Context, callID, reason string) error
}

// Sales is what the engagements need from the mall: the stores, the
// orders a shopper placed since they called, and the add-ons to suggest
// for a cart (the catalog, *mall.Catalog, implements it).
type Sales interface {
	StoreRef(ctx context.Context, storeID int64) (mall.StoreRef, error)
	StoreIDs(ctx context.Context) ([]int64, error)
	OrdersSince(ctx context.Context, storeID int64, s mall.Shopper, since time.Time, limit int) ([]mall.OrderSummary, error)
	PaidOrdersSince(ctx context.Context, storeID int64, since time.Time) ([]mall.PaidOrder, error)
	StoreBySlug(ctx context.Context, slug string) (*mall.Store, error)
	ProductBySKU(ctx context.Context, store *mall.Store, sku string) (*mall.Product, error)
	ListAddOnsOnSale(ctx context.Context, product *mall.Product) ([]mall.AddOn, error)
	ListCoPurchases(ctx context.Context, product *mall.Product, limit int) ([]mall.CoPurchase, error)
	// The analytics (analytics.go): the store's reporting terms and the
	// orders paid in a span of time.
	ReportTermsOf(ctx context.Context, storeID int64) (mall.ReportTerms, error)
	SalesPaidBetween(ctx context.Context, storeID int64, from, to time.Time) ([]mall.PaidSale, error)
}

// NewEngagements serves the engagements over the queue's entries: the
// calls' rooms are reached through calls, the stores and their orders
// through sales, the shared carts through carts.
func NewEngagements(db *gorm.DB, calls LiveCalls, sales Sales, accounts Accounts, carts *mall.Carts) *Engagements {
	return &Engagements{db: db, calls: calls, sales: sales, accounts: accounts, carts: carts, log: slog.With("part", "engagements")}
}

// Peer returns the connection on the other side of a live engagement, as
// seen from the sender, and the sender's role ("shopper" or "agent").
func (g *Engagements) Peer(ctx context.Context, entryID string, from *media.Conn) (string, string, error) {
	e, err := entryOf(g.db.WithContext(ctx), entryID)
	notFound := apperr.New(apperr.NotFound, "no live engagement %q of yours", entryID)
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", "", notFound
		}
		return "", "", err
	}
	if e.State != EntryConnected || e.AgentConnID == nil {
		return "", "", notFound
	}
	switch {
	case from.ID == e.ConnID:
		return *e.AgentConnID, "shopper", nil
	case from.ID == *e.AgentConnID && e.AgentAccountID != nil && from.AccountID == *e.AgentAccountID:
		return e.ConnID, "agent", nil
	}
	return "", "", notFound
}

// liveEngagement finds the connected engagement of a store's agent with a
// member shopper.
func (g *Engagements) liveEngagement(ctx context.Context, agentID, shopperID string) (*QueueEntry, error) {
	var e QueueEntry
	err := g.db.WithContext(ctx).Where("state = ? AND agent_account_id = ? AND account_id = ? AND callback = ?", EntryConnected, agentID, shopperID, false).
		Order("answered_at DESC").Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.Conflict, "you are not on a call with this shopper: the age check needs them on live video")
	}
	return &e, err
}

// VideoWitness confirms the agent sees the shopper on live video now: they
// are in a call together and video keeps arriving from the shopper (camera
// on, avatar off). It is the age check's witness.
func (g *Engagements) VideoWitness(ctx context.Context, agentID, shopperID string) error {
	e, err := g.liveEngagement(ctx, agentID, shopperID)
	if err != nil {
		return err
	}
	return g.calls.VideoLive(ctx, e.CallID)
}

// EndForRefusedOrder ends the call of the shopper whose order was refused,
// telling both sides why.
func (g *Engagements) EndForRefusedOrder(ctx context.Context, o *mall.Order, reason string) {
	if o.AccountID == nil {
		return
	}
	var entries []QueueEntry
	g.db.WithContext(ctx).Where("state = ? AND account_id = ? AND store_id = ?", EntryConnected, *o.AccountID, o.StoreID).Find(&entries)
	for _, e := range entries {
		if err := g.calls.EndCall(ctx, e.CallID, "the order was refused: "+reason); err != nil {
			g.log.Info("end call of refused order", "entry", e.ID, "err", err)
		}
	}
}

// InEngagement reports whether the shopper is talking to an agent now:
// an order they place then must be signed with their passkey.
func (g *Engagements) InEngagement(ctx context.Context, s mall.Shopper) bool {
	q := g.db.WithContext(ctx).Model(&QueueEntry{}).Where("state = ?", EntryConnected)
	if s.AccountID != "" {
		q = q.Where("account_id = ?", s.AccountID)
	} else {
		q = q.Where("guest_hash = ?", s.GuestHash)
	}
	var n int64
	q.Count(&n)
	return n > 0
}

// LiveEngagementOf returns the live engagement entryID that the agent
// serves in their store; any other entry (another agent's, another
// store's, one not connected) is NotFound.
func (g *Engagements) LiveEngagementOf(ctx context.Context, agentID string, storeID int64, entryID string) (*QueueEntry, error) {
	var e QueueEntry
	err := g.db.WithContext(ctx).Where("id = ? AND agent_account_id = ? AND store_id = ? AND state = ?", entryID, agentID, storeID, EntryConnected).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no live engagement %q of yours", entryID)
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Outcome codes an agent closes an engagement with.
var outcomes = map[string]bool{"sold": true, "no_sale": true, "follow_up": true, "not_interested": true, "other": true}

// maxNote bounds a wrap-up note.
const maxNote = 2000

// WrapUp records how the agent's engagement entryID ended (an outcome
// code) and their note. Only the agent who answered may, while the call
// goes on or after it ended; anyone else's entry is NotFound.
func (g *Engagements) WrapUp(ctx context.Context, agentID, entryID, outcome, note string) error {
	if !outcomes[outcome] {
		return apperr.New(apperr.Invalid, "outcome must be one of sold, no_sale, follow_up, not_interested, other; not %q", outcome)
	}
	if len(note) > maxNote {
		return apperr.New(apperr.Invalid, "the note has %d characters: keep it under %d", len(note), maxNote)
	}
	// An agent who transferred the engagement on files their part of it
	// too (transfer.go): the note is the engagement's, shared.
	transferred := g.db.Model(&Transfer{}).Select("entry_id").Where("from_agent_id = ? AND state IN ?", agentID, []string{transferCompleted, transferQueued})
	res := g.db.WithContext(ctx).Model(&QueueEntry{}).
		Where("id = ? AND ((agent_account_id = ? AND state IN ?) OR (id IN (?) AND state IN ?))", entryID,
			agentID, []string{EntryConnected, EntryServed}, transferred, []string{EntryConnected, EntryServed, EntryWaiting, EntryOffered}).
		Updates(map[string]any{"outcome": outcome, "note": note, "wrapped_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.NotFound, "no engagement %q of yours to wrap up", entryID)
	}
	return nil
}

// EngagementView is an engagement as the desk shows it: the shopper, the
// context they called with, the wrap-up, and their orders in the store
// since they called.
type EngagementView struct {
	EntryID    string              `json:"entryId"`
	State      string              `json:"state"`
	Name       string              `json:"name"`
	Member     bool                `json:"member"`
	AccountID  string              `json:"accountId,omitempty"` // members only
	Context    ShopperContext      `json:"context"`
	EnteredAt  time.Time           `json:"enteredAt"`
	AnsweredAt *time.Time          `json:"answeredAt"`
	EndedAt    *time.Time          `json:"endedAt"`
	Outcome    *string             `json:"outcome"`
	Note       string              `json:"note"`
	Callback   bool                `json:"callback"`
	Orders     []mall.OrderSummary `json:"orders"`
	Agent      *string             `json:"agent,omitempty"` // the agent's name, once one was offered the shopper
	// Agents name everyone who served the shopper in it, in the order
	// they did (a transfer names both agents).
	Agents []string `json:"agents"`
	// Supervisions are the store's supervisors' steps in the call, oldest first.
	Supervisions []SupervisionStep `json:"supervisions"`
}

// View returns the engagement entryID of the store, whoever of its staff
// served it; an entry of another store is NotFound.
func (g *Engagements) View(ctx context.Context, storeID int64, entryID string) (*EngagementView, error) {
	var e QueueEntry
	err := g.db.WithContext(ctx).Where("id = ? AND store_id = ?", entryID, storeID).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no engagement %q in your store", entryID)
	}
	if err != nil {
		return nil, err
	}
	v := &EngagementView{EntryID: e.ID, State: e.State, Name: e.ShopperName, Member: e.AccountID != nil, Context: e.contextOf(),
		EnteredAt: e.EnteredAt, AnsweredAt: e.AnsweredAt, EndedAt: e.EndedAt, Outcome: e.Outcome, Note: e.Note, Callback: e.Callback,
		Orders: g.ordersOf(ctx, &e), Supervisions: g.supervisionsOf(ctx, e.ID), Agents: []string{}}
	if names := g.agentsOf(ctx, &e, time.Now().UTC()); names != nil {
		v.Agents = names
	}
	if e.AccountID != nil {
		v.AccountID = *e.AccountID
	}
	if e.AgentAccountID != nil {
		agents, _ := g.accounts.Refs(ctx, []string{*e.AgentAccountID})
		v.Agent = new(agents[*e.AgentAccountID].Name)
	}
	return v, nil
}

// ordersOf lists the shopper's orders in the engagement's store since they
// called, newest first.
func (g *Engagements) ordersOf(ctx context.Context, e *QueueEntry) []mall.OrderSummary {
	out, err := g.sales.OrdersSince(ctx, e.StoreID, e.shopperOf(), e.EnteredAt, 10)
	if err != nil {
		return []mall.OrderSummary{}
	}
	return out
}
