package agentdesk

import (
	"context"
	"errors"
	"log/slog"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// CreditCalls carries store credit through the engagements: which
// engagement an application is sent in, and its progress to both parties
// of the call over their signaling sockets ("credit.update") and to the
// store's supervisors' desks. It implements mall.CreditCalls.
type CreditCalls struct {
	db       *gorm.DB
	sig      *media.Signaling
	accounts Accounts
	devices  Devices
	log      *slog.Logger
}

// Devices lists the devices accounts are signed in on (the directory's
// DevicesOf).
type Devices interface {
	DevicesOf(ctx context.Context, accountIDs []string) []string
}

// NewCreditCalls returns credit's view of the engagements over sig; the
// supervisors of a store are found in accounts, their desks in devices.
func NewCreditCalls(db *gorm.DB, sig *media.Signaling, accounts Accounts, devices Devices) *CreditCalls {
	return &CreditCalls{db: db, sig: sig, accounts: accounts, devices: devices, log: slog.With("part", "credit-calls")}
}

// CreditCall implements mall.CreditCalls.
func (cc *CreditCalls) CreditCall(ctx context.Context, entryID string) (mall.CreditCall, error) {
	e, err := entryOf(cc.db.WithContext(ctx), entryID)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return mall.CreditCall{}, apperr.New(apperr.NotFound, "no engagement %q", entryID)
	}
	if err != nil {
		return mall.CreditCall{}, err
	}
	call := mall.CreditCall{EntryID: e.ID, StoreID: e.StoreID, Live: e.State == EntryConnected && e.AgentConnID != nil && !e.Callback}
	if e.AgentAccountID != nil {
		call.AgentID = *e.AgentAccountID
	}
	if e.AccountID != nil {
		call.ShopperID = *e.AccountID
	}
	return call, nil
}

// TellCredit implements mall.CreditCalls.
func (cc *CreditCalls) TellCredit(ctx context.Context, u mall.CreditUpdate) {
	e, err := entryOf(cc.db.WithContext(ctx), u.EntryID)
	if err != nil || e.State != EntryConnected || e.AgentConnID == nil {
		return // the call ended: the member's credit page and the desk show the state when opened
	}
	for _, conn := range []string{e.ConnID, *e.AgentConnID} {
		if err := cc.sig.SendToConn(conn, "credit.update", u); err != nil {
			cc.log.Info("tell the call of credit", "entry", e.ID, "err", err)
		}
	}
}

// TellSupervisors implements mall.CreditCalls.
func (cc *CreditCalls) TellSupervisors(ctx context.Context, storeID int64, u mall.CreditUpdate) {
	ids, err := cc.accounts.StaffOf(ctx, storeID, auth.RoleSupervisor)
	if err != nil {
		cc.log.Warn("supervisors of store", "store", storeID, "err", err)
		return
	}
	for _, d := range cc.devices.DevicesOf(ctx, ids) {
		if err := cc.sig.SendToDevice(d, "credit.update", u); err != nil {
			cc.log.Info("tell supervisors of credit", "store", storeID, "err", err)
		}
	}
}
