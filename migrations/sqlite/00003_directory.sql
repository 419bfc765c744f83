-- +goose Up
-- The number sequence: next_number is the next candidate of the block; the
-- row is created with the configured start on first use.
CREATE TABLE number_blocks (
    name TEXT PRIMARY KEY,
    next_number BIGINT NOT NULL
);

-- Every permanent number and the party it reaches. Numbers are never
-- deleted, so never reused.
CREATE TABLE numbers (
    number TEXT PRIMARY KEY CHECK (length(number) = 12 AND substr(number, 1, 1) BETWEEN '2' AND '9'),
    party_type TEXT NOT NULL CHECK (party_type IN ('member', 'agent', 'queue')),
    account_id TEXT REFERENCES accounts (id),
    store_id BIGINT REFERENCES stores (id),
    kind TEXT NOT NULL CHECK (kind IN ('sequential', 'vanity')),
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    CHECK ((party_type = 'queue') = (account_id IS NULL)),
    CHECK ((party_type = 'queue') = (store_id IS NOT NULL))
);
CREATE INDEX numbers_account ON numbers (account_id);
CREATE INDEX numbers_store ON numbers (store_id);

-- What a member chose about being found and rung.
CREATE TABLE member_profiles (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    listed BOOLEAN NOT NULL DEFAULT TRUE,
    interests TEXT NOT NULL DEFAULT '',
    ring_mode TEXT NOT NULL DEFAULT 'newest' CHECK (ring_mode IN ('newest', 'all')),
    email_verified_at TIMESTAMP
);

-- Which members are signed in on which device (browser install). A device
-- carries the numbers of every member signed in on it.
CREATE TABLE device_accounts (
    device_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    signed_in_at TIMESTAMP NOT NULL,
    PRIMARY KEY (device_id, account_id)
);
CREATE INDEX device_accounts_newest ON device_accounts (account_id, signed_in_at);

-- One-time tokens sent by email (address verification).
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

-- Invitations members sent to friends.
CREATE TABLE invites (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX invites_account ON invites (account_id, created_at);

-- +goose Down
DROP TABLE invites;
DROP TABLE email_tokens;
DROP TABLE device_accounts;
DROP TABLE member_profiles;
DROP TABLE numbers;
DROP TABLE number_blocks;
