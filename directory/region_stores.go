package directory

// Calls to stores homed in other regions. A store's queue, its engagements
// and its orders stay in the store's home region. A number nobody holds
// here and no member of another region holds, but which lies in another
// region's block of the plan, may be a sales number there: the shopper's
// node asks that region, over NATS (lm.region.<r>.queue, a queue group of
// its nodes), to place the call. One node there checks that the number is
// one of its own stores' sales numbers, opens the call's room on itself
// and puts the call in the store's line, exactly as for a shopper of its
// own region whose socket is on another node: the call's messages reach
// the shopper's connection through lm.conn.<tag>.… (the gateways carry
// them), the shopper's answers and hang-up reach the room through
// lm.room.<call> (relayToRoom on the shopper's node), and the shopper's
// device connects its media to the store's node by its public address (or
// TURN). The request carries only what the shopper's node knows of its
// session (connection, device, guest), never anything the shopper sent
// but the number and the video flags. When that region does not answer,
// the dial fails at once.
//
// The store's region records a call's caller and a queue entry's shopper
// by an account of its own database (foreign keys), and a member of
// another region has none there: their node sends them as a guest whose
// hash it derives from their account (visitingMemberGuest), so the
// store's line and the agent see a guest, the same one on every call.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/media"
)

// storeDialQueue is the queue group of a region's nodes answering store
// dials from other regions: one of them takes each call.
const storeDialQueue = "lm-region-queue"

// storeDialSubject is where the nodes of region take calls to their
// stores from other regions.
func storeDialSubject(region string) string { return "lm.region." + region + ".queue" }

// Bounds of a store dial and its answer.
const (
	maxStoreDialBytes       = 512
	maxStoreDialAnswerBytes = 512
	guestHashLen            = 64 // hex of a SHA-256 (mall.GuestOf)
	connIDLen               = 26 // a relayed connection's id: 8 hex digits of its node's tag, 18 more
)

// errStoreRegionUnreachable is what a shopper hears when the store's home
// region does not answer.
var errStoreRegionUnreachable = apperr.New(apperr.Unavailable, "that store's region cannot be reached right now — try again in a moment")

// errGuestsOnly refuses a store dial that names no guest: the asking node
// names every shopper as one (a member by visitingMemberGuest).
var errGuestsOnly = apperr.New(apperr.Invalid, "a store dial from another region names its shopper as a guest")

// visitingMemberGuest is the guest hash under which a member calls a store
// of another region: stable for the account, and never a real guest's —
// theirs hash a cookie token (mall.GuestOf), which holds no NUL byte.
func visitingMemberGuest(accountID string) string {
	sum := sha256.Sum256([]byte("livemall visiting member\x00" + accountID))
	return hex.EncodeToString(sum[:])
}

// StoreDial asks a store's home region to place a guest's call to the
// store's sales number Number. ConnID, DeviceID and Guest are the shopper's
// connection, device and guest hash on the node that asks, taken from the
// session, never from the shopper: for a signed-in member of the asking
// region, the guest hash derived from their account (visitingMemberGuest).
// A dial without a guest is refused.
type StoreDial struct {
	Number   Number `json:"number"`
	ConnID   string `json:"connId"`
	DeviceID string `json:"deviceId"`
	Guest    string `json:"guest"`
	Video    bool   `json:"video"`
	Avatar   bool   `json:"avatar"`
}

// StoreDialAnswer is the home region's answer: the id of the call it
// placed (its room is on the answering node), or why not.
type StoreDialAnswer struct {
	CallID string           `json:"callId,omitempty"`
	Error  *web.ErrorDetail `json:"error,omitempty"`
}

// ParseStoreDial reads a store dial from another region strictly: one
// object with a number of 12 digits, a relayed connection id (26 hex
// digits), a device id (hex, or empty for a page that bound none), a guest
// hash (64 hex digits, or empty for a signed-in member) and the two flags,
// nothing else. Anything else is Invalid.
func ParseStoreDial(data []byte) (StoreDial, error) {
	if len(data) > maxStoreDialBytes {
		return StoreDial{}, apperr.New(apperr.Invalid, "a store dial is at most %d bytes", maxStoreDialBytes)
	}
	var raw struct {
		Number   *string `json:"number"`
		ConnID   *string `json:"connId"`
		DeviceID *string `json:"deviceId"`
		Guest    *string `json:"guest"`
		Video    *bool   `json:"video"`
		Avatar   *bool   `json:"avatar"`
	}
	if err := decodeOne(data, &raw); err != nil {
		return StoreDial{}, apperr.New(apperr.Invalid, "a store dial is one JSON object with number, connId, deviceId, guest, video and avatar")
	}
	if raw.Number == nil || raw.ConnID == nil || raw.DeviceID == nil || raw.Guest == nil || raw.Video == nil || raw.Avatar == nil {
		return StoreDial{}, apperr.New(apperr.Invalid, "a store dial needs number, connId, deviceId, guest, video and avatar")
	}
	num, err := ParseNumber(*raw.Number)
	if err != nil {
		return StoreDial{}, err
	}
	if string(num) != *raw.Number {
		return StoreDial{}, apperr.New(apperr.Invalid, "a store dial carries the number as 12 digits")
	}
	if len(*raw.ConnID) != connIDLen || !lowerHex(*raw.ConnID) {
		return StoreDial{}, apperr.New(apperr.Invalid, "a store dial's connId is %d hex digits", connIDLen)
	}
	if *raw.DeviceID != "" && !validDeviceID(*raw.DeviceID) {
		return StoreDial{}, apperr.New(apperr.Invalid, "a store dial's deviceId is empty or 1 to 64 hex digits")
	}
	if *raw.Guest != "" && (len(*raw.Guest) != guestHashLen || !lowerHex(*raw.Guest)) {
		return StoreDial{}, apperr.New(apperr.Invalid, "a store dial's guest is empty or %d hex digits", guestHashLen)
	}
	return StoreDial{Number: num, ConnID: *raw.ConnID, DeviceID: *raw.DeviceID, Guest: *raw.Guest, Video: *raw.Video, Avatar: *raw.Avatar}, nil
}

// ParseStoreDialAnswer reads the home region's answer strictly: either a
// call id as newCallID makes them, or an error (a known code and a short
// message), never both. Anything else is Invalid.
func ParseStoreDialAnswer(data []byte) (StoreDialAnswer, error) {
	var out StoreDialAnswer
	if len(data) > maxStoreDialAnswerBytes {
		return out, apperr.New(apperr.Invalid, "a store dial's answer is at most %d bytes", maxStoreDialAnswerBytes)
	}
	if err := decodeOne(data, &out); err != nil {
		return StoreDialAnswer{}, apperr.New(apperr.Invalid, "a store dial's answer is one JSON object with callId or error")
	}
	if out.Error != nil {
		if out.CallID != "" || !knownCode(out.Error.Code) || out.Error.Message == "" || len(out.Error.Message) > maxRingErrorMessage {
			return StoreDialAnswer{}, apperr.New(apperr.Invalid, "a store dial's error has a known code and a short message, and nothing beside it")
		}
		return out, nil
	}
	if !isCallID(out.CallID) {
		return StoreDialAnswer{}, apperr.New(apperr.Invalid, "a store dial's answer names a call id")
	}
	return out, nil
}

// lowerHex reports whether s is made of lowercase hex digits only.
func lowerHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// storeRegionOf returns the other region whose block of the plan holds
// num, where a sales number nobody here knows may be a store's; ok is
// false with one region, for this region's numbers and for numbers of no
// block.
func (c *Calls) storeRegionOf(num Number) (string, bool) {
	if c.dir.regions == nil || c.bus == nil {
		return "", false
	}
	plan := c.dir.Numbers.plan
	region, ok := plan.OwnerOf(num)
	if !ok || region == plan.Region {
		return "", false
	}
	return region, true
}

// answerStoreDials makes this node one of its region's takers of calls to
// its stores from other regions (nil with one region: nobody asks).
func (c *Calls) answerStoreDials() (*nats.Subscription, error) {
	if c.dir.regions == nil || c.bus == nil {
		return nil, nil
	}
	return c.bus.QueueSubscribe(storeDialSubject(c.dir.Numbers.plan.Region), storeDialQueue, func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), ringTimeout)
		defer cancel()
		req, err := ParseStoreDial(m.Data)
		var ans StoreDialAnswer
		if err == nil {
			ans.CallID, err = c.takeStoreDial(ctx, req)
		}
		if err == nil {
			c.placedStoreDial(req.ConnID, dialIDOf(m), ans.CallID)
		}
		if err != nil {
			if apperr.Code(err) == apperr.Internal {
				slog.Error("store dial from another region", "number", req.Number, "err", err)
			}
			ans = StoreDialAnswer{Error: &web.ErrorDetail{Code: apperr.Code(err), Message: apperr.Message(err)}}
		}
		if m.Reply != "" {
			reply, _ := json.Marshal(ans)
			m.Respond(reply)
		}
	})
}

// takeStoreDial places another region's guest's call to req.Number, when
// that is the sales number of one of this region's stores: the room opens
// on this node and the call waits in the store's line (dialQueue), with
// the shopper's connection on their own node. Any other number is
// NotFound, with nothing said of whoever holds it.
func (c *Calls) takeStoreDial(ctx context.Context, req StoreDial) (string, error) {
	res, err := c.dir.resolveToDial(ctx, req.Number)
	if apperr.Code(err) == apperr.NotFound || err == nil && res.Party.Type != PartyQueue {
		return "", apperr.New(apperr.NotFound, "no store of this region has the number %s", req.Number)
	}
	if err != nil {
		return "", err
	}
	if req.Guest == "" {
		return "", errGuestsOnly
	}
	shopper := &media.Conn{ID: req.ConnID, DeviceID: req.DeviceID, Guest: req.Guest}
	id, err := c.dialQueue(ctx, shopper, res, dialRequest{Number: string(req.Number), Video: req.Video, Avatar: req.Avatar})
	// The connection is the other region's node's: its closing reaches the
	// room from there, never from this node.
	c.mu.Lock()
	delete(c.conns, req.ConnID)
	c.mu.Unlock()
	return id, err
}

// dialStoreElsewhere asks region, which owns num, to place the guest's
// call to its store's sales number num, and remembers the call for the
// connection (its closing hangs the call up). A region that does not
// answer is errStoreRegionUnreachable; a number that is no store's there
// is NotFound.
func (c *Calls) dialStoreElsewhere(ctx context.Context, conn *media.Conn, num Number, region string, req dialRequest) error {
	if req.Context != nil {
		return apperr.New(apperr.Invalid, "a call to a store of another region carries no product or appointment yet")
	}
	guest := conn.Guest
	if guest == "" {
		guest = visitingMemberGuest(conn.AccountID)
	}
	body, _ := json.Marshal(StoreDial{Number: num, ConnID: conn.ID, DeviceID: conn.DeviceID, Guest: guest, Video: req.Video, Avatar: req.Avatar})
	rctx, cancel := context.WithTimeout(ctx, ringTimeout)
	defer cancel()
	dialID := newDialID()
	msg := &nats.Msg{Subject: storeDialSubject(region), Data: body, Header: nats.Header{storeDialHeader: []string{dialID}}}
	reply, err := c.bus.RequestMsgWithContext(rctx, msg)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return errStoreRegionUnreachable
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			// The region may place the call all the same: it hangs it up.
			c.withdrawStoreDial(region, conn, dialID)
			return errStoreRegionUnreachable
		}
		return fmt.Errorf("dial %s in region %s: %w", num, region, err)
	}
	ans, err := ParseStoreDialAnswer(reply.Data)
	if err != nil {
		return fmt.Errorf("dial %s in region %s: %w", num, region, err)
	}
	if ans.Error != nil {
		if ans.Error.Code == apperr.NotFound {
			return apperr.New(apperr.NotFound, "nobody has the number %s", num)
		}
		return &apperr.Error{Code: ans.Error.Code, Message: ans.Error.Message}
	}
	c.trackConn(conn.ID, ans.CallID)
	return nil
}
