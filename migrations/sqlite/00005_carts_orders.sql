-- +goose Up
-- A cart belongs to a member or to a guest (the hash of their cart cookie),
-- and holds products of one store.
CREATE TABLE carts (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    guest_hash TEXT,
    store_id BIGINT REFERENCES stores (id),
    version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((account_id IS NULL) <> (guest_hash IS NULL))
);
CREATE UNIQUE INDEX carts_account ON carts (account_id);
CREATE UNIQUE INDEX carts_guest ON carts (guest_hash);

CREATE TABLE cart_items (
    cart_id TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    suggested_by TEXT,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);

-- Orders keep a copy of their lines and totals as they were when ordered.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    store_id BIGINT NOT NULL REFERENCES stores (id),
    account_id TEXT REFERENCES accounts (id),
    guest_hash TEXT,
    state TEXT NOT NULL CHECK (state IN ('draft', 'awaiting_verification', 'signed', 'paid', 'confirmed', 'refused', 'abandoned')),
    subtotal_minor BIGINT NOT NULL CHECK (subtotal_minor >= 0),
    tax_minor BIGINT NOT NULL CHECK (tax_minor >= 0),
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    currency TEXT NOT NULL,
    needs_verification BOOLEAN NOT NULL,
    payment_provider TEXT,
    test_payment BOOLEAN NOT NULL DEFAULT FALSE,
    stock_reserved BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((account_id IS NULL) <> (guest_hash IS NULL))
);
CREATE INDEX orders_account ON orders (account_id, created_at);
CREATE INDEX orders_guest ON orders (guest_hash, created_at);
CREATE INDEX orders_store ON orders (store_id, created_at);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    age_limit INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

-- Every state change of an order, with who made it and why.
CREATE TABLE order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- Payment attempts: the idempotency key is stored before the provider is
-- called, so a retried request never charges twice.
CREATE TABLE payment_attempts (
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
CREATE INDEX payment_attempts_ref ON payment_attempts (provider_ref);

-- Webhook events applied, by the provider's event id: a replay is a no-op.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    type TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE webhook_events;
DROP TABLE payment_attempts;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE cart_items;
DROP TABLE carts;
