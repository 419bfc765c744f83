package directory

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/media"
)

// A heartbeat re-announces its connection with the accounts signed in on
// its device. Those are read from the database once, when the connection
// opens, and kept on the connection; they change only when someone signs
// in or out on the device, and then every node re-reads them for its own
// connections of that device (deviceAccountsSubject). A heartbeat thus
// costs no database query.

// connAccounts is the Conn value key for the accounts signed in on the
// connection's device, as last read from the database.
const connAccounts = "directory.accounts"

// deviceAccountsSubject carries a device id whose signed-in accounts
// changed: every node re-reads them for its connections of that device.
const deviceAccountsSubject = "lm.device.accounts"

// subscribeDeviceAccounts makes this node re-read and re-announce its
// connections of a device whose accounts changed on any node.
func (s *Service) subscribeDeviceAccounts() (*nats.Subscription, error) {
	return s.sig.Bus.Subscribe(deviceAccountsSubject, func(m *nats.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), max(s.cfg.Heartbeat, 5*time.Second))
		defer cancel()
		s.refreshDevice(ctx, string(m.Data))
	})
}

// deviceAccountsChanged tells every node (this one included) that the
// accounts signed in on the device changed, after the change committed.
// Without a bus only this node's connections are refreshed.
func (s *Service) deviceAccountsChanged(ctx context.Context, deviceID string) {
	if s.sig.Bus == nil {
		s.refreshDevice(ctx, deviceID)
		return
	}
	if err := s.sig.Bus.Publish(deviceAccountsSubject, []byte(deviceID)); err != nil {
		slog.Warn("tell the nodes a device's accounts changed", "device", deviceID, "err", err)
		s.refreshDevice(ctx, deviceID)
	}
}

// loadAccounts reads the accounts signed in on the connection's device
// (its own account always among them) and keeps them on the connection.
func (s *Service) loadAccounts(ctx context.Context, c *media.Conn) ([]string, error) {
	accounts, err := s.deviceAccounts(ctx, c.DeviceID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(accounts, c.AccountID) {
		accounts = append(accounts, c.AccountID)
	}
	c.Set(connAccounts, accounts)
	return accounts, nil
}

// deviceAccounts reads the accounts signed in on the device, in order.
func (s *Service) deviceAccounts(ctx context.Context, deviceID string) ([]string, error) {
	var accounts []string
	if err := s.db.WithContext(ctx).Model(&deviceAccount{}).Where("device_id = ?", deviceID).Order("account_id").Pluck("account_id", &accounts).Error; err != nil {
		return nil, fmt.Errorf("load device accounts: %w", err)
	}
	return accounts, nil
}

// accountsOf returns the connection's device accounts as last read, or
// reads them when they never were.
func (s *Service) accountsOf(ctx context.Context, c *media.Conn) ([]string, error) {
	if accounts, ok := c.Get(connAccounts).([]string); ok {
		return accounts, nil
	}
	return s.loadAccounts(ctx, c)
}

// DeviceSignedIn tells every node that someone signed in on the device
// (auth's SessionStarted hook, after the sign-in committed): the device's
// open connections re-read their accounts and announce them, and every
// node drops the account's routes (the device is its newest).
func (s *Service) DeviceSignedIn(ctx context.Context, accountID, deviceID string) {
	s.routesChanged(accountID)
	s.deviceAccountsChanged(ctx, deviceID)
}
