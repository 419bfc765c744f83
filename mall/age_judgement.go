package mall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/blob"
)

// Decisions an agent's age judgement records.
const (
	// DecisionConfirmed: the agent saw the shopper on live video and the
	// registered birth date shows the age; the order may be signed.
	DecisionConfirmed = "confirmed"
	// DecisionLooksUnderage: the shopper does not look old enough on video.
	DecisionLooksUnderage = "looks_underage"
	// DecisionNotAccountHolder: the person on video is not the account holder.
	DecisionNotAccountHolder = "not_account_holder"
	// DecisionRefusedByRecord: the birth date (or a guest's having none)
	// refused the order when the agent tried to confirm it.
	DecisionRefusedByRecord = "refused_by_record"
)

// DefaultEvidenceDays is how long a store keeps its age checks' still
// frames unless its supervisors set another period (stores.age_evidence_days).
const DefaultEvidenceDays = 90

// MaxEvidenceDays bounds a store's retention period.
const MaxEvidenceDays = 3650

// AgeJudgement is the agent's own judgement in an age check on live video,
// with a still frame of the shopper's video as evidence (FrameKey in the
// blob store, until KeepUntil; nil once swept).
type AgeJudgement struct {
	ID             string    `gorm:"column:id;primaryKey"`
	StoreID        int64     `gorm:"column:store_id"`
	EntryID        string    `gorm:"column:entry_id"`
	AccountID      *string   `gorm:"column:account_id"`
	GuestHash      *string   `gorm:"column:guest_hash"`
	AgentAccountID string    `gorm:"column:agent_account_id"`
	OrderID        *string   `gorm:"column:order_id"`
	Decision       string    `gorm:"column:decision"`
	RequiredAge    int       `gorm:"column:required_age"`
	Removed        string    `gorm:"column:removed"` // the items taken out, one per line
	Reason         string    `gorm:"column:reason"`
	FrameKey       *string   `gorm:"column:frame_key"`
	FrameBytes     int       `gorm:"column:frame_bytes"`
	FrameAt        time.Time `gorm:"column:frame_at"`
	DecidedAt      time.Time `gorm:"column:decided_at"`
	KeepUntil      time.Time `gorm:"column:keep_until"`
}

// TableName tells GORM where age judgements live.
func (AgeJudgement) TableName() string { return "age_judgements" }

// refusedByRecord returns ev marked as refused by the shopper's record for
// order (nil stays nil).
func (ev *AgeJudgement) refusedByRecord(orderID string, age int, reason string) *AgeJudgement {
	if ev == nil {
		return nil
	}
	ev.OrderID, ev.Decision, ev.RequiredAge, ev.Reason = &orderID, DecisionRefusedByRecord, age, reason
	return ev
}

// Engaged is what age judgements need from the contact center, which owns
// the engagements (agentdesk.Engagements implements it).
type Engaged interface {
	// EngagedShopper returns the shopper of the live engagement entryID
	// that the agent serves in store storeID, once their live video is
	// confirmed (camera on, avatar off). Another agent's or store's entry,
	// or one not connected, is NotFound; no live video is a Conflict.
	EngagedShopper(ctx context.Context, agentID string, storeID int64, entryID string) (Shopper, error)
}

// AgeJudgements records the agent's own judgement in an age check: a
// confirmation (through AgeChecks), or a refusal that takes the
// age-restricted items out of the shopper's cart and order while the call
// goes on. Each keeps a still frame of the shopper's video for the store's
// retention period; SweepEvidence deletes it afterwards.
type AgeJudgements struct {
	db      *gorm.DB
	blobs   blob.Store
	engaged Engaged
	closing *Closing // its AgeChecks confirm; its Shop's carts are published

	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// NewAgeJudgements returns the judgements service: frames go to blobs,
// engagements are checked with engaged, confirmations go through closing's
// age checks.
func NewAgeJudgements(closing *Closing, blobs blob.Store, engaged Engaged) *AgeJudgements {
	return &AgeJudgements{db: closing.Shop.Orders.db, blobs: blobs, engaged: engaged, closing: closing, Now: time.Now}
}

// Judgement is what the agent decided and the still frame they took.
type Judgement struct {
	Decision string
	Frame    []byte // a JPEG (CheckFrame)
	FrameAt  time.Time
}

// JudgementOutcome is what a judgement did.
type JudgementOutcome struct {
	Judgement *AgeJudgement
	// Order is the order the judgement touched, if any.
	Order *Order
	// Verified is true when the order may now be signed.
	Verified bool
	// Reason says why items were refused, in the shopper's words.
	Reason string
	// Removed names the items taken out of the cart and the order.
	Removed []string
}

// frameSkew is how far a frame's time may lie from the server's clock: a
// frame is taken just before it is sent.
const frameSkew = 10 * time.Minute

// evidenceKey is where a judgement's frame is kept in the blob store.
func evidenceKey(storeID int64, id string) string {
	return fmt.Sprintf("age-evidence/%d/%s.jpg", storeID, id)
}

// Judge records the agent's judgement in their live engagement entryID.
// Only the engagement's agent may, while the shopper's video is live. The
// frame is stored first; the judgement, the order's move and the cart's
// change are one transaction guarded on the states they expect, and the
// frame is deleted again when it fails.
func (j *AgeJudgements) Judge(ctx context.Context, staff *auth.Account, entryID string, in Judgement) (*JudgementOutcome, error) {
	if staff == nil || staff.StoreID == nil {
		return nil, apperr.New(apperr.NotFound, "no live engagement %q of yours", entryID)
	}
	storeID := *staff.StoreID
	shopper, err := j.engaged.EngagedShopper(ctx, staff.ID, storeID, entryID)
	if err != nil {
		return nil, err
	}
	now := j.Now().UTC()
	if in.FrameAt.Before(now.Add(-frameSkew)) || in.FrameAt.After(now.Add(frameSkew)) {
		return nil, apperr.New(apperr.Invalid, "the frame was taken at %s, not just now: take a new one", in.FrameAt.UTC().Format(time.RFC3339))
	}
	days, err := j.RetentionDays(ctx, storeID)
	if err != nil {
		return nil, err
	}
	ev := &AgeJudgement{ID: newID("agj"), StoreID: storeID, EntryID: entryID, AgentAccountID: staff.ID, Decision: in.Decision,
		FrameBytes: len(in.Frame), FrameAt: in.FrameAt.UTC(), DecidedAt: now, KeepUntil: now.AddDate(0, 0, days)}
	if shopper.AccountID != "" {
		ev.AccountID = &shopper.AccountID
	} else {
		ev.GuestHash = &shopper.GuestHash
	}
	key := evidenceKey(storeID, ev.ID)
	ev.FrameKey = &key
	if _, err := j.blobs.Put(ctx, key, bytes.NewReader(in.Frame), "image/jpeg"); err != nil {
		return nil, fmt.Errorf("store age check frame: %w", err)
	}
	out, err := j.decide(ctx, staff, shopper, ev)
	if err != nil {
		if derr := j.blobs.Delete(context.WithoutCancel(ctx), key); derr != nil {
			slog.Warn("delete frame of failed age judgement", "key", key, "err", derr)
		}
		return nil, err
	}
	return out, nil
}

// decide confirms or refuses, recording ev in the same transaction.
func (j *AgeJudgements) decide(ctx context.Context, staff *auth.Account, shopper Shopper, ev *AgeJudgement) (*JudgementOutcome, error) {
	if ev.Decision == DecisionConfirmed {
		var o Order
		err := shopper.where(j.db.WithContext(ctx)).Where("store_id = ? AND state = ?", ev.StoreID, OrderAwaitingVerification).
			Order("created_at DESC").Take(&o).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, apperr.New(apperr.Conflict, "no order of the shopper awaits an age check: confirm once they checked out")
		}
		if err != nil {
			return nil, err
		}
		res, err := j.closing.AgeChecks.checkAge(ctx, staff, o.ID, true, ev)
		if err != nil {
			return nil, err
		}
		return &JudgementOutcome{Judgement: ev, Order: res.Order, Verified: res.Verified, Reason: res.Reason}, nil
	}
	return j.refuse(ctx, shopper, ev)
}

// refusalReason says, in the shopper's words, why items left their order.
func refusalReason(decision string, age int, removed []string) string {
	items := strings.Join(removed, ", ")
	switch decision {
	case DecisionNotAccountHolder:
		return fmt.Sprintf("The agent could not confirm on video that you are the account holder, so %s (%d+) left your order. You can go on with the rest.", items, age)
	default:
		return fmt.Sprintf("The agent could not confirm on video that you are %d or over, so %s (%d+) left your order. You can go on with the rest.", age, items, age)
	}
}

// restrictedItem is an age-restricted product in the shopper's cart or
// open order.
type restrictedItem struct {
	ProductID int64
	Name      string
	AgeLimit  int
}

// refuse takes every age-restricted item out of the shopper's cart and
// their orders in the store that are awaiting verification or draft, in
// one transaction with the judgement: an order left empty is refused, one
// that keeps other items goes on as a draft without them.
func (j *AgeJudgements) refuse(ctx context.Context, shopper Shopper, ev *AgeJudgement) (*JudgementOutcome, error) {
	out := &JudgementOutcome{Judgement: ev}
	var cartID string
	actor := "staff:" + ev.AgentAccountID
	err := j.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		names := map[string]bool{}
		out.Removed, out.Order = nil, nil
		age := 0
		note := func(items []restrictedItem) {
			for _, it := range items {
				if !names[it.Name] {
					names[it.Name] = true
					out.Removed = append(out.Removed, it.Name)
				}
				age = max(age, it.AgeLimit)
			}
		}
		// The cart.
		c, err := cartOf(tx, shopper, false)
		if err != nil {
			return err
		}
		var inCart []restrictedItem
		if c != nil && c.StoreID != nil && *c.StoreID == ev.StoreID {
			if err := tx.Table("cart_items AS i").Select("p.id AS product_id, p.name, p.age_limit").Joins("JOIN products p ON p.id = i.product_id").
				Where("i.cart_id = ? AND p.age_limit > 0", c.ID).Order("p.name").Scan(&inCart).Error; err != nil {
				return err
			}
		}
		if len(inCart) > 0 {
			note(inCart)
			ids := make([]int64, 0, len(inCart))
			for _, it := range inCart {
				ids = append(ids, it.ProductID)
			}
			if err := tx.Where("cart_id = ? AND product_id IN ?", c.ID, ids).Delete(&CartItem{}).Error; err != nil {
				return err
			}
			var left int64
			if err := tx.Model(&CartItem{}).Where("cart_id = ?", c.ID).Count(&left).Error; err != nil {
				return err
			}
			upd := map[string]any{"version": gorm.Expr("version + 1"), "updated_at": ev.DecidedAt}
			if left == 0 {
				upd["store_id"] = nil
			}
			res := tx.Model(&Cart{}).Where("id = ? AND version = ?", c.ID, c.Version).Updates(upd)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return apperr.New(apperr.Conflict, "the shopper's cart changed meanwhile: look again and decide")
			}
			cartID = c.ID
		}
		// The open orders.
		var orders []Order
		if err := shopper.where(tx).Where("store_id = ? AND state IN ?", ev.StoreID, []OrderState{OrderAwaitingVerification, OrderDraft}).
			Order("created_at DESC").Find(&orders).Error; err != nil {
			return err
		}
		for i := range orders {
			o := &orders[i]
			lines, err := linesIn(tx, o.ID)
			if err != nil {
				return err
			}
			var gone []restrictedItem
			var keep int64
			var subtotal int64
			for _, l := range lines {
				if l.AgeLimit > 0 {
					gone = append(gone, restrictedItem{ProductID: l.ProductID, Name: l.Name, AgeLimit: l.AgeLimit})
				} else {
					keep++
					subtotal += l.UnitPriceMinor * int64(l.Quantity)
				}
			}
			if len(gone) == 0 {
				continue
			}
			note(gone)
			if out.Order == nil {
				out.Order = o
				ev.OrderID = &o.ID
			}
			if err := tx.Where("order_id = ? AND age_limit > 0", o.ID).Delete(&OrderLine{}).Error; err != nil {
				return err
			}
			var rate int
			if err := tx.Model(&Store{}).Where("id = ?", o.StoreID).Pluck("tax_rate_bp", &rate).Error; err != nil {
				return err
			}
			t := computeTotals(subtotal, rate)
			res := tx.Model(&Order{}).Where("id = ? AND state = ?", o.ID, o.State).Updates(map[string]any{
				"subtotal_minor": t.SubtotalMinor, "tax_minor": t.TaxMinor, "total_minor": t.TotalMinor, "needs_verification": false})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return apperr.New(apperr.Conflict, "the shopper's order changed meanwhile: look again and decide")
			}
			o.SubtotalMinor, o.TaxMinor, o.TotalMinor, o.NeedsVerification = t.SubtotalMinor, t.TaxMinor, t.TotalMinor, false
			why := fmt.Sprintf("age-restricted items removed: %s (%s)", strings.Join(itemNames(gone), ", "), humanDecision(ev.Decision))
			switch {
			case keep == 0:
				if err := move(tx, o, OrderRefused, actor, why); err != nil {
					return err
				}
			case o.State == OrderAwaitingVerification:
				if err := move(tx, o, OrderDraft, actor, why); err != nil {
					return err
				}
			default:
				if err := tx.Create(&OrderEvent{OrderID: o.ID, FromState: &o.State, ToState: o.State, Actor: actor, Reason: why, At: ev.DecidedAt}).Error; err != nil {
					return err
				}
			}
		}
		if len(out.Removed) == 0 {
			return apperr.New(apperr.Conflict, "the shopper has no age-restricted items in their cart or open order: there is nothing to refuse")
		}
		ev.RequiredAge = age
		ev.Removed = strings.Join(out.Removed, "\n")
		ev.Reason = refusalReason(ev.Decision, age, out.Removed)
		out.Reason = ev.Reason
		return tx.Create(ev).Error
	})
	if err != nil {
		return nil, err
	}
	if cartID != "" {
		carts := j.closing.Shop.Carts
		if v, err := carts.View(ctx, shopper); err == nil {
			carts.publish(cartID, v)
		}
	}
	return out, nil
}

// itemNames returns the names of items.
func itemNames(items []restrictedItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

// humanDecision names a decision in order events.
func humanDecision(d string) string {
	switch d {
	case DecisionLooksUnderage:
		return "the agent judged on live video that the shopper does not look old enough"
	case DecisionNotAccountHolder:
		return "the agent judged on live video that the shopper is not the account holder"
	}
	return d
}

// RetentionDays returns how many days store keeps its age checks' frames.
func (j *AgeJudgements) RetentionDays(ctx context.Context, storeID int64) (int, error) {
	var days []int
	if err := j.db.WithContext(ctx).Model(&Store{}).Where("id = ?", storeID).Pluck("age_evidence_days", &days).Error; err != nil {
		return 0, err
	}
	if len(days) == 0 {
		return 0, apperr.New(apperr.NotFound, "no store %d", storeID)
	}
	return days[0], nil
}

// SetRetentionDays sets how many days the supervisor's store keeps its age
// checks' frames (1 to MaxEvidenceDays); frames already kept keep the date
// they were given.
func (j *AgeJudgements) SetRetentionDays(ctx context.Context, staff *auth.Account, days int) error {
	if staff == nil || staff.StoreID == nil || staff.Role != auth.RoleSupervisor {
		return apperr.New(apperr.Forbidden, "only the store's supervisors set how long age check frames are kept")
	}
	if days < 1 || days > MaxEvidenceDays {
		return apperr.New(apperr.Invalid, "keep age check frames 1 to %d days, not %d", MaxEvidenceDays, days)
	}
	return j.db.WithContext(ctx).Model(&Store{}).Where("id = ?", *staff.StoreID).Update("age_evidence_days", days).Error
}

// StoreRetentionDays returns the retention period of the store slug, which
// shoppers are told before an age check; an unknown store is NotFound.
func (j *AgeJudgements) StoreRetentionDays(ctx context.Context, slug string) (int, error) {
	var days []int
	if err := j.db.WithContext(ctx).Model(&Store{}).Where("slug = ?", slug).Pluck("age_evidence_days", &days).Error; err != nil {
		return 0, err
	}
	if len(days) == 0 {
		return 0, apperr.New(apperr.NotFound, "no store %q", slug)
	}
	return days[0], nil
}

// Frame opens the still frame of judgement id for a member of the
// judgement's store's staff; anyone else's, and a frame swept after the
// retention period, is NotFound. The caller closes the file.
func (j *AgeJudgements) Frame(ctx context.Context, staff *auth.Account, id string) (blob.File, blob.Info, error) {
	notFound := apperr.New(apperr.NotFound, "no age check frame %q in your store", id)
	if staff == nil || staff.StoreID == nil {
		return nil, blob.Info{}, notFound
	}
	var ev AgeJudgement
	err := j.db.WithContext(ctx).Where("id = ? AND store_id = ?", id, *staff.StoreID).Take(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, blob.Info{}, notFound
	}
	if err != nil {
		return nil, blob.Info{}, err
	}
	if ev.FrameKey == nil {
		return nil, blob.Info{}, apperr.New(apperr.NotFound, "the frame of age check %q was deleted after the store's retention period", id)
	}
	return j.blobs.Open(ctx, *ev.FrameKey)
}

// RecentFor returns the shopper's refusals of the last day, newest first:
// what their cart and call panel explain.
func (j *AgeJudgements) RecentFor(ctx context.Context, s Shopper) ([]AgeJudgement, error) {
	var out []AgeJudgement
	err := s.where(j.db.WithContext(ctx)).Where("decision IN ? AND decided_at > ?", []string{DecisionLooksUnderage, DecisionNotAccountHolder}, j.Now().UTC().Add(-24*time.Hour)).
		Order("decided_at DESC").Limit(10).Find(&out).Error
	return out, err
}

// orphanGrace is how old a frame without a judgement must be before the
// sweep deletes it: younger ones may belong to a judgement being recorded.
const orphanGrace = time.Hour

// SweepEvidence deletes the frames kept past their store's retention
// period and clears their keys; the judgements stay as the record. It also
// deletes frames older than an hour that no judgement names (a process that
// died between storing a frame and recording its judgement). It returns
// how many frames it deleted. A frame already gone counts as deleted; a
// row another node cleared meanwhile is skipped.
func (j *AgeJudgements) SweepEvidence(ctx context.Context) (int, error) {
	now := j.Now().UTC()
	var due []AgeJudgement
	if err := j.db.WithContext(ctx).Where("frame_key IS NOT NULL AND keep_until < ?", now).Order("keep_until").Limit(500).Find(&due).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, ev := range due {
		if err := j.blobs.Delete(ctx, *ev.FrameKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return n, fmt.Errorf("delete frame %s: %w", *ev.FrameKey, err)
		}
		res := j.db.WithContext(ctx).Model(&AgeJudgement{}).Where("id = ? AND frame_key = ?", ev.ID, *ev.FrameKey).Update("frame_key", nil)
		if res.Error != nil {
			return n, res.Error
		}
		n += int(res.RowsAffected)
	}
	orphans, err := j.sweepOrphans(ctx, now)
	return n + orphans, err
}

// sweepOrphans deletes the frames older than orphanGrace whose key no
// judgement holds.
func (j *AgeJudgements) sweepOrphans(ctx context.Context, now time.Time) (int, error) {
	files, err := j.blobs.List(ctx, "age-evidence")
	if err != nil {
		return 0, fmt.Errorf("list age check frames: %w", err)
	}
	old := map[string]bool{}
	keys := []string{}
	for _, f := range files {
		if f.ModTime.Before(now.Add(-orphanGrace)) {
			old[f.Key] = true
			keys = append(keys, f.Key)
		}
	}
	for len(keys) > 0 {
		batch := keys[:min(len(keys), 500)]
		keys = keys[len(batch):]
		var held []string
		if err := j.db.WithContext(ctx).Model(&AgeJudgement{}).Where("frame_key IN ?", batch).Pluck("frame_key", &held).Error; err != nil {
			return 0, err
		}
		for _, k := range held {
			delete(old, k)
		}
	}
	n := 0
	for k := range old {
		if err := j.blobs.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return n, fmt.Errorf("delete orphan frame %s: %w", k, err)
		}
		n++
	}
	return n, nil
}

// RunSweeps runs SweepEvidence now and then every interval until ctx ends.
func (j *AgeJudgements) RunSweeps(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := j.SweepEvidence(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("sweep age check frames", "err", err)
		} else if n > 0 {
			slog.Info("swept age check frames past their retention", "frames", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
