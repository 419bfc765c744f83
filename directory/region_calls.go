package directory

// Calls to members homed in other regions. A number nobody holds here may
// be a member of another region (region_entries): the caller's node asks
// the callee's home region, over NATS (the gateways carry the request),
// for the member's state and the devices a call would ring. One node of
// that region answers from its own database and presence. The room stays
// on the caller's node: "call.incoming" goes to the devices' subjects,
// which the gateways carry to the nodes holding them, the callee's answer
// comes back to the room's subject (relayToRoom), and the callee's device
// connects its media to the caller's node by its public address (or TURN).
// When the home region does not answer, the dial fails at once.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
)

// ringTimeout bounds the ring request to another region: ample next to a
// path of tens of milliseconds, short enough that a caller whose callee's
// region is cut off hears so at once.
const ringTimeout = 3 * time.Second

// ringQueue is the queue group of a region's nodes answering ring
// requests: one of them answers each.
const ringQueue = "lm-region-ring"

// ringSubject is where the nodes of region answer ring requests for their
// members.
func ringSubject(region string) string { return "lm.region." + region + ".ring" }

// Bounds of a ring request and its answer.
const (
	maxRingRequestBytes = 256
	maxRingAnswerBytes  = 4096
	maxRingDevices      = 16
	maxRingErrorMessage = 300
)

// errRegionUnreachable is what a caller hears when the callee's home
// region does not answer.
var errRegionUnreachable = apperr.New(apperr.Unavailable, "that member's region cannot be reached right now — leave a message?")

// RingRequest asks the callee's home region whom a call to Number would
// ring: the member AccountID, homed there, who holds it.
type RingRequest struct {
	Number    Number `json:"number"`
	AccountID string `json:"accountId"`
}

// RingDevice is one device a call to a member of another region rings.
type RingDevice struct {
	DeviceID string `json:"deviceId"`
	State    State  `json:"state"`
}

// RingAnswer is the home region's answer: the member's state and the
// devices to ring (nothing else: no node, no label), or why not.
type RingAnswer struct {
	State   State            `json:"state,omitempty"`
	Devices []RingDevice     `json:"devices,omitempty"`
	Error   *web.ErrorDetail `json:"error,omitempty"`
}

// ParseRingRequest reads a ring request from another region: exactly an
// object with a number of 12 digits and a valid account id; anything else
// is Invalid.
func ParseRingRequest(data []byte) (RingRequest, error) {
	var out RingRequest
	if len(data) > maxRingRequestBytes {
		return out, apperr.New(apperr.Invalid, "a ring request is at most %d bytes", maxRingRequestBytes)
	}
	var raw struct {
		Number    *string `json:"number"`
		AccountID *string `json:"accountId"`
	}
	if err := decodeOne(data, &raw); err != nil {
		return out, apperr.New(apperr.Invalid, "a ring request is one JSON object with number and accountId")
	}
	if raw.Number == nil || raw.AccountID == nil {
		return out, apperr.New(apperr.Invalid, "a ring request needs number and accountId")
	}
	num, err := ParseNumber(*raw.Number)
	if err != nil {
		return out, err
	}
	if string(num) != *raw.Number {
		return out, apperr.New(apperr.Invalid, "a ring request carries the number as 12 digits")
	}
	if !validAccountID(*raw.AccountID) {
		return out, apperr.New(apperr.Invalid, "a ring request's accountId must be 1 to 64 letters, digits, '_' or '-'")
	}
	return RingRequest{Number: num, AccountID: *raw.AccountID}, nil
}

// ParseRingAnswer reads the home region's answer strictly: either an
// error (a known code and a short message) or a state of presence and at
// most maxRingDevices devices, each a hex device id (it names a NATS
// subject) with its state. Anything else is Invalid.
func ParseRingAnswer(data []byte) (RingAnswer, error) {
	var out RingAnswer
	if len(data) > maxRingAnswerBytes {
		return out, apperr.New(apperr.Invalid, "a ring answer is at most %d bytes", maxRingAnswerBytes)
	}
	if err := decodeOne(data, &out); err != nil {
		return RingAnswer{}, apperr.New(apperr.Invalid, "a ring answer is one JSON object with state and devices, or error")
	}
	if out.Error != nil {
		if out.State != "" || out.Devices != nil || !knownCode(out.Error.Code) || out.Error.Message == "" || len(out.Error.Message) > maxRingErrorMessage {
			return RingAnswer{}, apperr.New(apperr.Invalid, "a ring answer's error has a known code and a short message, and nothing beside it")
		}
		return out, nil
	}
	if !ringState(out.State) {
		return RingAnswer{}, apperr.New(apperr.Invalid, "a ring answer's state must be available, busy, away or offline")
	}
	if len(out.Devices) > maxRingDevices {
		return RingAnswer{}, apperr.New(apperr.Invalid, "a ring answer names at most %d devices", maxRingDevices)
	}
	seen := map[string]bool{}
	for _, d := range out.Devices {
		if !validDeviceID(d.DeviceID) || seen[d.DeviceID] || !ringState(d.State) || d.State == StateOffline {
			return RingAnswer{}, apperr.New(apperr.Invalid, "a ring answer's devices have distinct hex ids and an online state")
		}
		seen[d.DeviceID] = true
	}
	return out, nil
}

// decodeOne decodes exactly one JSON object into dst, refusing unknown
// fields and anything after it.
func decodeOne(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("something follows the object")
	}
	return nil
}

// ringState reports whether st is a state of presence a ring answer gives.
func ringState(st State) bool {
	switch st {
	case StateAvailable, StateBusy, StateAway, StateOffline:
		return true
	}
	return false
}

// knownCode reports whether code is one of apperr's codes.
func knownCode(code string) bool {
	switch code {
	case apperr.Invalid, apperr.NotFound, apperr.Conflict, apperr.Forbidden, apperr.Unauthorized,
		apperr.TooLarge, apperr.RateLimited, apperr.Unavailable, apperr.Internal:
		return true
	}
	return false
}

// validDeviceID reports whether id can be an issued device id: 1 to 64
// lowercase hex digits (no dot or wildcard: it names a subject).
func validDeviceID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// answerRings makes this node one of its region's answerers of ring
// requests (nil with one region: nobody asks).
func (c *Calls) answerRings() (*nats.Subscription, error) {
	if c.dir.regions == nil || c.bus == nil {
		return nil, nil
	}
	return c.bus.QueueSubscribe(ringSubject(c.dir.Numbers.plan.Region), ringQueue, func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), ringTimeout)
		defer cancel()
		req, err := ParseRingRequest(m.Data)
		var ans RingAnswer
		if err == nil {
			ans, err = c.ringTargetsFor(ctx, req)
		}
		if err != nil {
			if apperr.Code(err) == apperr.Internal {
				slog.Error("ring request", "number", req.Number, "err", err)
			}
			ans = RingAnswer{Error: &web.ErrorDetail{Code: apperr.Code(err), Message: apperr.Message(err)}}
		}
		if m.Reply != "" {
			reply, _ := json.Marshal(ans)
			m.Respond(reply)
		}
	})
}

// ringTargetsFor answers a ring request: the state and online devices of
// the member who holds req.Number here, if that is req.AccountID and the
// member is homed in this region; otherwise NotFound, with nothing said of
// whoever holds the number. A member reachable only by push counts as
// offline (a push rings through this region's push service, which the
// caller's node does not have).
func (c *Calls) ringTargetsFor(ctx context.Context, req RingRequest) (RingAnswer, error) {
	notFound := apperr.New(apperr.NotFound, "nobody of this region has the number %s", req.Number)
	res, err := c.dir.Resolve(ctx, req.Number)
	if apperr.Code(err) == apperr.NotFound {
		return RingAnswer{}, notFound
	}
	if err != nil {
		return RingAnswer{}, err
	}
	if res.Party.Type != PartyMember || res.Party.AccountID != req.AccountID {
		return RingAnswer{}, notFound
	}
	refs, err := c.dir.accounts.Refs(ctx, []string{req.AccountID})
	if err != nil {
		return RingAnswer{}, fmt.Errorf("home region of %s: %w", req.AccountID, err)
	}
	if ref, ok := refs[req.AccountID]; !ok || ref.HomeRegion != c.dir.Numbers.plan.Region {
		return RingAnswer{}, notFound
	}
	ans := RingAnswer{State: res.State, Devices: []RingDevice{}}
	if ans.State == StatePush {
		ans.State = StateOffline
	}
	for _, t := range res.Ring {
		if len(ans.Devices) < maxRingDevices {
			ans.Devices = append(ans.Devices, RingDevice{DeviceID: t.DeviceID, State: t.State})
		}
	}
	return ans, nil
}

// entryElsewhere resolves num to a member of another region this region
// knows of (region_entries), with nothing to ring yet: ringElsewhere asks
// their region. NotFound when no region has it (always, with one region).
func (c *Calls) entryElsewhere(ctx context.Context, num Number) (*Resolution, error) {
	if c.dir.regions == nil {
		return nil, apperr.New(apperr.NotFound, "nobody has the number %s", num)
	}
	var row regionEntryRow
	err := c.db.WithContext(ctx).Where("number = ?", num).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "nobody has the number %s", num)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s among other regions: %w", num, err)
	}
	return &Resolution{Number: num, Display: num.String(), Party: Party{Type: PartyMember, Name: row.Name, AccountID: row.AccountID, Region: row.Region},
		State: StateOffline, Ring: []RingTarget{}}, nil
}

// ringElsewhere asks the home region of res's member for their state and
// the devices to ring, and fills them into res. A region that does not
// answer is errRegionUnreachable; a region that no longer has the member
// there is NotFound.
func (c *Calls) ringElsewhere(ctx context.Context, res *Resolution) error {
	body, _ := json.Marshal(RingRequest{Number: res.Number, AccountID: res.Party.AccountID})
	rctx, cancel := context.WithTimeout(ctx, ringTimeout)
	defer cancel()
	reply, err := c.bus.RequestWithContext(rctx, ringSubject(res.Party.Region), body)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			return errRegionUnreachable
		}
		return fmt.Errorf("ring %s in region %s: %w", res.Number, res.Party.Region, err)
	}
	ans, err := ParseRingAnswer(reply.Data)
	if err != nil {
		return fmt.Errorf("ring %s in region %s: %w", res.Number, res.Party.Region, err)
	}
	if ans.Error != nil {
		if ans.Error.Code == apperr.NotFound {
			return apperr.New(apperr.NotFound, "nobody has the number %s", res.Number)
		}
		return &apperr.Error{Code: ans.Error.Code, Message: ans.Error.Message}
	}
	res.State = ans.State
	for _, d := range ans.Devices {
		res.Ring = append(res.Ring, RingTarget{DeviceID: d.DeviceID, State: d.State})
	}
	return nil
}
