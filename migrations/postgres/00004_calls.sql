-- +goose Up
-- Every call leaves a record: who, whom, when, how long, and how it ended.
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    caller_account_id TEXT NOT NULL REFERENCES accounts (id),
    caller_number TEXT,
    callee_number TEXT NOT NULL,
    callee_account_id TEXT REFERENCES accounts (id),
    node TEXT NOT NULL,
    video BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL CHECK (state IN ('ringing', 'active', 'mailbox', 'ended')),
    outcome TEXT CHECK (outcome IN ('answered', 'declined', 'no_answer', 'busy', 'offline', 'cancelled', 'failed')),
    started_at TIMESTAMPTZ NOT NULL,
    answered_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    duration_ms BIGINT
);
CREATE INDEX calls_caller ON calls (caller_account_id, started_at);
CREATE INDEX calls_callee ON calls (callee_account_id, started_at);

-- Voice and video messages, in the mailbox of the account they were left for.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    call_id TEXT REFERENCES calls (id),
    from_account_id TEXT REFERENCES accounts (id),
    from_name TEXT NOT NULL,
    from_number TEXT,
    blob_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    has_video BOOLEAN NOT NULL,
    duration_ms BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    heard_at TIMESTAMPTZ
);
CREATE INDEX messages_owner ON messages (account_id, created_at);

-- +goose Down
DROP TABLE messages;
DROP TABLE calls;
