-- +goose Up
-- Credit applications closed in the call: an application is sent in a live
-- engagement (entry_id), which the shopper's call panel and the agent's desk
-- follow; while it is 'sent' its step says how far the shopper got (opened,
-- filling, filled, signed with their passkey); filled lists the fields the
-- shopper has filled so far (names only, never the values), for the agent.
ALTER TABLE credit_applications ADD COLUMN entry_id TEXT NOT NULL DEFAULT '';
ALTER TABLE credit_applications ADD COLUMN step TEXT NOT NULL DEFAULT 'opened'
    CHECK (step IN ('opened', 'filling', 'filled', 'signed'));
ALTER TABLE credit_applications ADD COLUMN filled TEXT NOT NULL DEFAULT '';
-- Set when the store's rules approved the application without a supervisor.
ALTER TABLE credit_applications ADD COLUMN decided_automatically BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX credit_applications_entry ON credit_applications (entry_id);

-- A credit application's passkey signature in flight: the hash of the
-- answers and the nonce the challenge was made of; used once.
CREATE TABLE credit_sign_ceremonies (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES credit_applications (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    form_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    session TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX credit_sign_ceremonies_application ON credit_sign_ceremonies (application_id);

-- The evidence that the applicant signed their answers with a passkey.
CREATE TABLE credit_signatures (
    application_id TEXT PRIMARY KEY REFERENCES credit_applications (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    ceremony_id TEXT NOT NULL,
    form_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    authenticator_data TEXT NOT NULL,
    signature TEXT NOT NULL,
    client_data_json TEXT NOT NULL,
    assertion TEXT NOT NULL,
    signed_at TIMESTAMPTZ NOT NULL
);

-- A store's rules for deciding credit applications without a supervisor:
-- a requested limit up to max_auto_limit_minor, an applicant at least
-- min_age years old by their registered birth date, a verified email
-- address when require_verified_email, and at least min_paid_orders paid
-- orders at the store. A store without a row decides every application by
-- a supervisor.
CREATE TABLE credit_rules (
    store_id BIGINT PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    max_auto_limit_minor BIGINT NOT NULL CHECK (max_auto_limit_minor >= 0),
    min_age INTEGER NOT NULL CHECK (min_age >= 0 AND min_age <= 120),
    require_verified_email BOOLEAN NOT NULL,
    min_paid_orders INTEGER NOT NULL CHECK (min_paid_orders >= 0),
    updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE credit_rules;
DROP TABLE credit_signatures;
DROP TABLE credit_sign_ceremonies;
DROP INDEX credit_applications_entry;
ALTER TABLE credit_applications DROP COLUMN decided_automatically;
ALTER TABLE credit_applications DROP COLUMN filled;
ALTER TABLE credit_applications DROP COLUMN step;
ALTER TABLE credit_applications DROP COLUMN entry_id;
