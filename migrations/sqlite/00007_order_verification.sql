-- +goose Up
-- Orders that must carry the shopper's passkey signature before payment:
-- age-restricted orders, and orders placed while an agent was on the call.
ALTER TABLE orders ADD COLUMN needs_signature BOOLEAN NOT NULL DEFAULT FALSE;

-- Age checks of orders with age-restricted lines: whether the registered
-- birth date shows the age, and which agent saw the shopper on live video
-- and when. The birth date itself is never copied here.
CREATE TABLE age_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    required_age INTEGER NOT NULL CHECK (required_age IN (18, 21)),
    birthdate_shows_age BOOLEAN NOT NULL,
    checked_by TEXT NOT NULL REFERENCES accounts (id),
    video_confirmed_by TEXT REFERENCES accounts (id),
    video_confirmed_at TIMESTAMP,
    checked_at TIMESTAMP NOT NULL,
    CHECK ((video_confirmed_by IS NULL) = (video_confirmed_at IS NULL))
);
CREATE INDEX age_checks_order ON age_checks (order_id);

-- Signing ceremonies in flight: the order's hash and the nonce the challenge
-- was made of. A ceremony is used once, whether its assertion verified or not.
CREATE TABLE order_sign_ceremonies (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    order_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    session TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX order_sign_ceremonies_order ON order_sign_ceremonies (order_id);

-- The evidence of a signed order: the WebAuthn assertion as received, and
-- the order hash and nonce its challenge was made of.
CREATE TABLE order_signatures (
    order_id TEXT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    ceremony_id TEXT NOT NULL,
    order_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    authenticator_data TEXT NOT NULL,
    signature TEXT NOT NULL,
    client_data_json TEXT NOT NULL,
    assertion TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL
);

-- Store credit applications: sent by a store's staff to a member, filled by
-- the member, decided by a supervisor of the store. used_minor is what paid
-- orders took from an approved limit.
CREATE TABLE credit_applications (
    id TEXT PRIMARY KEY,
    store_id BIGINT NOT NULL REFERENCES stores (id),
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sent_by TEXT NOT NULL REFERENCES accounts (id),
    state TEXT NOT NULL CHECK (state IN ('sent', 'submitted', 'approved', 'declined')),
    full_name TEXT NOT NULL DEFAULT '',
    employer TEXT NOT NULL DEFAULT '',
    monthly_income_minor BIGINT NOT NULL DEFAULT 0 CHECK (monthly_income_minor >= 0),
    requested_limit_minor BIGINT NOT NULL DEFAULT 0 CHECK (requested_limit_minor >= 0),
    consent_at TIMESTAMP,
    submitted_at TIMESTAMP,
    limit_minor BIGINT NOT NULL DEFAULT 0 CHECK (limit_minor >= 0),
    used_minor BIGINT NOT NULL DEFAULT 0 CHECK (used_minor >= 0 AND used_minor <= limit_minor),
    decided_by TEXT REFERENCES accounts (id),
    decision_reason TEXT NOT NULL DEFAULT '',
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One live application (not declined) per member and store.
CREATE UNIQUE INDEX credit_applications_live ON credit_applications (store_id, account_id) WHERE state <> 'declined';
CREATE INDEX credit_applications_account ON credit_applications (account_id, created_at);

-- What each order paid with store credit took from which credit line.
CREATE TABLE credit_charges (
    order_id TEXT PRIMARY KEY REFERENCES orders (id),
    application_id TEXT NOT NULL REFERENCES credit_applications (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    created_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE credit_charges;
DROP TABLE credit_applications;
DROP TABLE order_signatures;
DROP TABLE order_sign_ceremonies;
DROP TABLE age_checks;
ALTER TABLE orders DROP COLUMN needs_signature;
