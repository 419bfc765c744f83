-- +goose Up
-- A payment attempt mirrors its PaymentIntent. Besides pending, succeeded
-- and failed it may be declined (a card was refused; the intent stays open
-- for another card) or unknown (the provider did not answer: the intent may
-- exist, and is looked up before anything else happens to the order).
-- expires_at ends the stock hold of an unconfirmed attempt. SQLite cannot
-- change a CHECK constraint, so the table is rebuilt; nothing references it.
CREATE TABLE payment_attempts_new (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    attempt INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    provider_ref TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'declined', 'unknown', 'succeeded', 'failed')),
    amount_minor BIGINT NOT NULL,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (order_id, attempt)
);
INSERT INTO payment_attempts_new (id, order_id, attempt, idempotency_key, provider, provider_ref, status, amount_minor, created_at, updated_at)
    SELECT id, order_id, attempt, idempotency_key, provider, provider_ref, status, amount_minor, created_at, updated_at FROM payment_attempts;
DROP TABLE payment_attempts;
ALTER TABLE payment_attempts_new RENAME TO payment_attempts;
CREATE INDEX payment_attempts_ref ON payment_attempts (provider_ref);
-- One open attempt per order: a second Pay gets the open PaymentIntent back.
CREATE UNIQUE INDEX payment_attempts_open ON payment_attempts (order_id) WHERE status IN ('pending', 'declined', 'unknown');
CREATE INDEX payment_attempts_expiry ON payment_attempts (expires_at) WHERE status IN ('pending', 'declined', 'unknown');

-- +goose Down
UPDATE payment_attempts SET status = 'pending' WHERE status IN ('declined', 'unknown');
CREATE TABLE payment_attempts_old (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    attempt INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    provider_ref TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount_minor BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (order_id, attempt)
);
INSERT INTO payment_attempts_old (id, order_id, attempt, idempotency_key, provider, provider_ref, status, amount_minor, created_at, updated_at)
    SELECT id, order_id, attempt, idempotency_key, provider, provider_ref, status, amount_minor, created_at, updated_at FROM payment_attempts;
DROP TABLE payment_attempts;
ALTER TABLE payment_attempts_old RENAME TO payment_attempts;
CREATE INDEX payment_attempts_ref ON payment_attempts (provider_ref);
