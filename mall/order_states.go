package mall

import (
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// OrderState is where an order stands.
type OrderState string

// Order states: cart → draft → (awaiting verification) → signed → paid →
// confirmed, or refused / abandoned.
const (
	OrderDraft                OrderState = "draft"
	OrderAwaitingVerification OrderState = "awaiting_verification"
	OrderSigned               OrderState = "signed"
	OrderPaid                 OrderState = "paid"
	OrderConfirmed            OrderState = "confirmed"
	OrderRefused              OrderState = "refused"
	OrderAbandoned            OrderState = "abandoned"
)

// transitions lists the moves an order may make; every other move is
// refused.
var transitions = map[OrderState][]OrderState{
	OrderDraft:                {OrderAwaitingVerification, OrderSigned, OrderPaid, OrderRefused, OrderAbandoned},
	OrderAwaitingVerification: {OrderDraft, OrderRefused, OrderAbandoned},
	OrderSigned:               {OrderPaid, OrderRefused, OrderAbandoned},
	OrderPaid:                 {OrderConfirmed},
}

// CanMove reports whether an order may go from one state to the other.
func CanMove(from, to OrderState) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// OrderEvent records one move of an order: who made it and why.
type OrderEvent struct {
	ID        int64       `gorm:"column:id;primaryKey" json:"-"`
	OrderID   string      `gorm:"column:order_id" json:"-"`
	FromState *OrderState `gorm:"column:from_state" json:"from"`
	ToState   OrderState  `gorm:"column:to_state" json:"to"`
	Actor     string      `gorm:"column:actor" json:"actor"`
	Reason    string      `gorm:"column:reason" json:"reason"`
	At        time.Time   `gorm:"column:at" json:"at"`
}

// TableName tells GORM where order events live.
func (OrderEvent) TableName() string { return "order_events" }

// move changes the order's state in tx, on the condition that it is still
// in the state o says (so two racing moves cannot both happen), and records
// the event. A move the state machine does not allow is a Conflict.
func move(tx *gorm.DB, o *Order, to OrderState, actor, reason string) error {
	if !CanMove(o.State, to) {
		return apperr.New(apperr.Conflict, "an order that is %s cannot become %s", humanState(o.State), humanState(to))
	}
	now := time.Now().UTC()
	res := tx.Model(&Order{}).Where("id = ? AND state = ?", o.ID, o.State).Updates(map[string]any{"state": to, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.Conflict, "the order changed meanwhile: reload it")
	}
	from := o.State
	if err := tx.Create(&OrderEvent{OrderID: o.ID, FromState: &from, ToState: to, Actor: actor, Reason: reason, At: now}).Error; err != nil {
		return err
	}
	o.State, o.UpdatedAt = to, now
	return nil
}

// humanState names a state in messages.
func humanState(s OrderState) string {
	switch s {
	case OrderAwaitingVerification:
		return "awaiting verification"
	}
	return string(s)
}
