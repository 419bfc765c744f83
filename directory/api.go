package directory

// What the directory offers other slices: typed methods over its own
// tables (numbers, devices, calls, messages) and its presence. Other
// slices call these instead of reading the directory's tables.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/media"
)

// SalesNumbers returns the 12-digit sales number of each of the stores
// that has one; a store without one is missing from the map.
func (n *Numbers) SalesNumbers(ctx context.Context, storeIDs []int64) (map[int64]string, error) {
	var rows []struct {
		StoreID int64
		Number  string
	}
	if len(storeIDs) == 0 {
		return map[int64]string{}, nil
	}
	if err := n.db.WithContext(ctx).Table("numbers").Select("store_id, number").Where("party_type = ? AND store_id IN ?", PartyQueue, storeIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("sales numbers: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.StoreID] = r.Number
	}
	return out, nil
}

// SalesNumber returns the sales number of the store; "" when it has none.
func (n *Numbers) SalesNumber(ctx context.Context, storeID int64) (Number, error) {
	nums, err := n.SalesNumbers(ctx, []int64{storeID})
	return Number(nums[storeID]), err
}

// PrimaryNumber returns the number a member is called back on: their
// primary number, else their oldest; "" when they hold none.
func (n *Numbers) PrimaryNumber(ctx context.Context, accountID string) (Number, error) {
	var num string
	err := n.db.WithContext(ctx).Table("numbers").Where("account_id = ?", accountID).Order("is_primary DESC, created_at").Limit(1).Pluck("number", &num).Error
	if err != nil {
		return "", fmt.Errorf("primary number of %s: %w", accountID, err)
	}
	return Number(num), nil
}

// DevicesOf lists the devices the accounts are signed in on.
func (s *Service) DevicesOf(ctx context.Context, accountIDs []string) []string {
	var devices []string
	s.db.WithContext(ctx).Table("device_accounts").Distinct("device_id").Where("account_id IN ?", accountIDs).Pluck("device_id", &devices)
	return devices
}

// OnlineAgents is the one rule for "which of a store's staff are online":
// the store's agents (the staff who can take a call; supervisors are not
// counted) whose presence is not offline, each with their presence state.
// Routing, the sales number's state and the store views all ask it.
func (s *Service) OnlineAgents(ctx context.Context, storeID int64) (map[string]State, error) {
	agents, err := s.storeAgents(ctx, storeID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(agents))
	states := make(map[string]State, len(agents))
	for _, a := range agents {
		ids = append(ids, a.AccountID)
		states[a.AccountID] = stateOf(s.onlineDevices(a))
	}
	if len(ids) == 0 {
		return states, nil
	}
	// Agents take no pushes (the contact center rings their desks), so
	// only their calls and other regions are asked.
	if err := s.markBusy(ctx, ids, states); err != nil {
		return nil, err
	}
	if err := s.withRemoteStates(ctx, states); err != nil {
		return nil, err
	}
	out := make(map[string]State, len(ids))
	for _, id := range ids {
		if st := states[id]; st != StateOffline {
			out[id] = st
		}
	}
	return out, nil
}

// roomTimeout bounds every request to a call's room.
const roomTimeout = 5 * time.Second

// Rooms sends requests to the room of a call, on whichever node hosts it.
// It is the one way in: the calls relay the devices' messages through it,
// and the contact center offers calls, checks video and ends calls.
type Rooms struct {
	bus *nats.Conn
}

// NewRooms returns the requests to call rooms over bus.
func NewRooms(bus *nats.Conn) *Rooms { return &Rooms{bus: bus} }

// errNoRoom is what a request to a call's room gets when no node hosts it:
// the call ended, or its node is gone.
var errNoRoom = apperr.New(apperr.NotFound, "there is no such call, or it has ended")

// request sends m, from the party from, to the room of callID and returns
// the room's verdict. No room listening (the call ended, or its node is
// gone) is NotFound; a room that does not answer in time is Unavailable.
func (r *Rooms) request(ctx context.Context, callID string, from party, m media.Message) error {
	env, _ := json.Marshal(roomEnvelope{From: from, Message: m})
	rctx, cancel := context.WithTimeout(ctx, roomTimeout)
	defer cancel()
	reply, err := r.bus.RequestWithContext(rctx, roomSubject(callID), env)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return errNoRoom
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			// The room may yet have acted on it: "no such call" would be a
			// guess, and a wrong one on a slow node.
			return apperr.New(apperr.Unavailable, "the call did not answer in time; try again")
		}
		return fmt.Errorf("%s to call %s: %w", m.Type, callID, err)
	}
	return verdictOf(reply.Data)
}

// ask sends the contact center's request of type typ to the call's room.
func (r *Rooms) ask(ctx context.Context, callID, typ string, data any) error {
	raw, _ := json.Marshal(data)
	return r.request(ctx, callID, party{}, media.Message{Type: typ, V: media.ProtocolVersion, Data: raw})
}

// Offer hands a queued call to an agent: the contact center, on any node,
// asks the node hosting the call to ring the agent. An error means the call
// could not take the offer (it ended, or its node is gone).
func (r *Rooms) Offer(ctx context.Context, callID string, o QueueOffer) error {
	return r.ask(ctx, callID, "queue.offer", o)
}

// Hosted reports whether a node still hosts the call's room: false only
// when no room answers at all (the call ended, or its node is gone); a room
// that is slow to answer counts as hosted, so a live call is never taken
// for a dead one.
func (r *Rooms) Hosted(ctx context.Context, callID string) bool {
	return !apperr.Is(r.ask(ctx, callID, "call.ping", nil), apperr.NotFound)
}

// VideoLive asks the node hosting the call whether the shopper's camera is
// live now: video packets keep arriving from them (not an avatar).
func (r *Rooms) VideoLive(ctx context.Context, callID string) error {
	return r.ask(ctx, callID, "call.video.live", nil)
}

// EndCall ends a call from the server's side, telling both sides why.
func (r *Rooms) EndCall(ctx context.Context, callID, reason string) error {
	return r.ask(ctx, callID, "call.end", CallEndData{Reason: reason})
}

// EmailVerified reports whether the member's email address is verified.
func (s *Service) EmailVerified(ctx context.Context, accountID string) (bool, error) {
	at, err := emailVerifiedAt(s.db.WithContext(ctx), accountID)
	return at != nil, err
}

// ShownInMall returns which of the members chose to be seen in the mall,
// in one query; a member without a profile is not shown.
func (s *Service) ShownInMall(ctx context.Context, accountIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	var ids []string
	if err := s.db.WithContext(ctx).Model(&Profile{}).Where("account_id IN ? AND show_in_mall", accountIDs).Pluck("account_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("load mall visibility: %w", err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
