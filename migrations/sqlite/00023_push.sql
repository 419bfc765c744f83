-- +goose Up
-- Web Push (RFC 8030/8291/8292). The node's VAPID key pair: one row, made
-- at the first start (or given with --vapid-*), the same for every node.
CREATE TABLE vapid_keys (
    name TEXT PRIMARY KEY CHECK (name = 'vapid'),
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A device's push subscription: at most one per device, owned by the
-- account signed in on it when it subscribed; removed when the push
-- service says it is gone (404, 410), when the device is, or when the
-- member turns push off there.
CREATE TABLE push_subscriptions (
    device_id TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL CHECK (length(endpoint) <= 1024),
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_sent_at TIMESTAMP
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);

-- +goose Down
DROP TABLE push_subscriptions;
DROP TABLE vapid_keys;
