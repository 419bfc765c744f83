package directory

// Vanity numbers across regions. Every number lies in a block owned by one
// region (NumberPlan), and that region's database decides who holds it. A
// member asks their own node; when the number belongs to another region
// the node sends the claim over NATS (gateways carry it between regions)
// to that region's nodes, one of which writes it to number_claims under
// the block's lock, and only then records the number as the member's here.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/region"
	"github.com/livemall/livemall/backend/web"
)

// claimTimeout bounds a claim sent to another region: generous next to a
// path of tens of milliseconds, short enough to tell a member at once.
const claimTimeout = 5 * time.Second

// claimQueue is the queue group of a region's nodes answering claims: one
// of them answers each.
const claimQueue = "lm-number-claims"

// claimSubject is where the nodes of region answer claims on its numbers.
func claimSubject(region string) string { return "lm.region." + region + ".numbers.claim" }

// NumberClaim is a request, sent to the region that owns Number, to hold
// it for the account AccountID homed in Region.
type NumberClaim struct {
	Number    Number `json:"number"`
	Region    string `json:"region"`
	AccountID string `json:"accountId"`
}

// claimVerdict is the owning region's answer: no error, or why not.
type claimVerdict struct {
	Error *web.ErrorDetail `json:"error,omitempty"`
}

// maxClaimBytes bounds a claim's body: three short fields.
const maxClaimBytes = 512

// ParseNumberClaim reads a claim from another region. Anything but an
// object with exactly a valid number, a valid region name and an account
// id of 1–64 letters, digits, '_' or '-' is Invalid.
func ParseNumberClaim(data []byte) (NumberClaim, error) {
	var c NumberClaim
	if len(data) > maxClaimBytes {
		return c, apperr.New(apperr.Invalid, "a number claim is at most %d bytes", maxClaimBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw struct {
		Number    *string `json:"number"`
		Region    *string `json:"region"`
		AccountID *string `json:"accountId"`
	}
	if err := dec.Decode(&raw); err != nil {
		return c, apperr.New(apperr.Invalid, "a number claim is a JSON object with number, region and accountId")
	}
	if dec.More() {
		return c, apperr.New(apperr.Invalid, "a number claim is one JSON object")
	}
	if raw.Number == nil || raw.Region == nil || raw.AccountID == nil {
		return c, apperr.New(apperr.Invalid, "a number claim needs number, region and accountId")
	}
	num, err := ParseNumber(*raw.Number)
	if err != nil {
		return c, err
	}
	if string(num) != *raw.Number {
		return c, apperr.New(apperr.Invalid, "a number claim carries the number as 12 digits")
	}
	if !region.ValidName(*raw.Region) {
		return c, apperr.New(apperr.Invalid, "a number claim's region must be 1 to 32 lowercase letters, digits or '-'")
	}
	if !validAccountID(*raw.AccountID) {
		return c, apperr.New(apperr.Invalid, "a number claim's accountId must be 1 to 64 letters, digits, '_' or '-'")
	}
	return NumberClaim{Number: num, Region: *raw.Region, AccountID: *raw.AccountID}, nil
}

// validAccountID reports whether id can be an account id of any region.
func validAccountID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// numberClaimRow is a number of this region's blocks held by a member of
// another region.
type numberClaimRow struct {
	Number    Number    `gorm:"column:number;primaryKey"`
	Region    string    `gorm:"column:region"`
	AccountID string    `gorm:"column:account_id"`
	ClaimedAt time.Time `gorm:"column:claimed_at"`
}

// TableName tells GORM where claims live.
func (numberClaimRow) TableName() string { return "number_claims" }

// ArbitrateClaim decides a claim from another region on one of this
// region's numbers, in one transaction under the block's lock (as a
// vanity grant here takes it): held here or by another claimant is a
// Conflict suggesting free numbers; claimed already by the same account
// is granted again (a retried claim); a number of another region's block,
// or a claim from this region itself, is Invalid.
func (n *Numbers) ArbitrateClaim(ctx context.Context, c NumberClaim) error {
	b, ok := n.plan.blockOf(c.Number)
	switch {
	case !ok || b.Region != n.plan.Region:
		return apperr.New(apperr.Invalid, "the number %s is not one of region %s's numbers", c.Number, n.plan.Region)
	case c.Region == n.plan.Region:
		return apperr.New(apperr.Invalid, "a member of region %s takes its numbers without a claim", c.Region)
	}
	taken := false
	err := n.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockBlock(tx, b); err != nil {
			return err
		}
		var held int64
		if err := tx.Model(&NumberRecord{}).Where("number = ?", c.Number).Count(&held).Error; err != nil {
			return err
		}
		var prior []numberClaimRow
		if err := tx.Where("number = ?", c.Number).Find(&prior).Error; err != nil {
			return err
		}
		switch {
		case held > 0:
			taken = true
		case len(prior) == 1:
			taken = prior[0].Region != c.Region || prior[0].AccountID != c.AccountID
		default:
			return tx.Create(&numberClaimRow{Number: c.Number, Region: c.Region, AccountID: c.AccountID, ClaimedAt: time.Now().UTC()}).Error
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("arbitrate claim on %s: %w", c.Number, err)
	}
	if taken {
		return n.takenError(ctx, c.Number)
	}
	return nil
}

// answerClaims makes this node one of its region's arbiters of claims.
func (n *Numbers) answerClaims(bus *nats.Conn) (*nats.Subscription, error) {
	return bus.QueueSubscribe(claimSubject(n.plan.Region), claimQueue, func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
		defer cancel()
		c, err := ParseNumberClaim(m.Data)
		if err == nil {
			err = n.ArbitrateClaim(ctx, c)
		}
		reply := []byte(`{}`)
		if err != nil {
			if apperr.Code(err) == apperr.Internal {
				slog.Error("number claim", "number", c.Number, "from", c.Region, "err", err)
			}
			reply, _ = json.Marshal(claimVerdict{Error: &web.ErrorDetail{Code: apperr.Code(err), Message: apperr.Message(err)}})
		}
		if m.Reply != "" {
			m.Respond(reply)
		}
	})
}

// ClaimVanity gives num to the account as an extra number, wherever its
// block lies: a number of this region is granted here (GrantVanity); a
// number of another region is claimed from that region first and then
// recorded here. A region that does not answer is Unavailable, and
// nothing is recorded.
func (s *Service) ClaimVanity(ctx context.Context, a *auth.Account, num Number) (*NumberRecord, error) {
	owner, ok := s.Numbers.plan.OwnerOf(num)
	if !ok {
		return nil, apperr.New(apperr.Invalid, "the number %s is in no region's number block", num)
	}
	defer s.entriesChanged()
	if owner == s.Numbers.plan.Region {
		return s.Numbers.GrantVanity(ctx, a, num)
	}
	party, ok := partyOf(a.Role)
	if !ok {
		return nil, apperr.New(apperr.Forbidden, "a %s account holds no numbers", a.Role)
	}
	if err := s.sendClaim(ctx, owner, NumberClaim{Number: num, Region: s.Numbers.plan.Region, AccountID: a.ID}); err != nil {
		return nil, err
	}
	id := a.ID
	rec := &NumberRecord{Number: num, PartyType: party, AccountID: &id, Kind: KindVanity, CreatedAt: time.Now().UTC()}
	stored, err := insertIfFree(s.db.WithContext(ctx), rec)
	if err != nil || stored {
		return rec, err
	}
	// Held here already: by this account, a claim retried; by anyone else
	// the plan changed under the number, and the owner's word cannot win.
	held, err := s.Numbers.FindNumber(ctx, num)
	if err != nil {
		return nil, err
	}
	if held.AccountID == nil || *held.AccountID != a.ID {
		return nil, s.Numbers.takenError(ctx, num)
	}
	return held, nil
}

// sendClaim asks region's nodes to hold c.Number and returns their verdict.
func (s *Service) sendClaim(ctx context.Context, region string, c NumberClaim) error {
	body, _ := json.Marshal(c)
	rctx, cancel := context.WithTimeout(ctx, claimTimeout)
	defer cancel()
	reply, err := s.sig.Bus.RequestWithContext(rctx, claimSubject(region), body)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			return apperr.New(apperr.Unavailable, "the number %s belongs to region %s, which cannot be reached right now; try again later", c.Number, region)
		}
		return fmt.Errorf("claim %s from region %s: %w", c.Number, region, err)
	}
	var v claimVerdict
	if err := json.Unmarshal(reply.Data, &v); err != nil {
		return fmt.Errorf("claim %s from region %s: unreadable answer: %w", c.Number, region, err)
	}
	if v.Error != nil {
		return &apperr.Error{Code: v.Error.Code, Message: v.Error.Message}
	}
	return nil
}
