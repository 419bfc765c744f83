-- +goose Up
-- Accounts are the people who sign in: members, agents, supervisors, admins.
-- Staff belong to a store; members do not.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    webauthn_id BLOB NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('member', 'agent', 'supervisor', 'admin')),
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    birth_date TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    store_id BIGINT REFERENCES stores (id),
    created_at TIMESTAMP NOT NULL,
    CHECK ((role IN ('agent', 'supervisor')) = (store_id IS NOT NULL))
);

-- Passkeys: the go-webauthn credential as JSON, with the sign counter kept
-- apart so that it can be compared and updated in one statement.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    credential TEXT NOT NULL,
    sign_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX passkeys_account ON passkeys (account_id);

-- Sessions: only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- WebAuthn ceremonies in flight: the challenge lives here, server-side, and
-- a ceremony is deleted by the request that finishes it (used once).
CREATE TABLE ceremonies (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- One-time enrollment links for accounts created by an operator.
CREATE TABLE enrollments (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

-- +goose Down
DROP TABLE enrollments;
DROP TABLE ceremonies;
DROP TABLE sessions;
DROP TABLE passkeys;
DROP TABLE accounts;
