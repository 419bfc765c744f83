-- +goose Up
-- The contact center: agents' routing states, store queues, store messages.
-- Guests call stores too, so a call's caller may have no account: SQLite
-- cannot drop NOT NULL, so calls is rebuilt. Dropping calls while messages
-- point at it would count each such message as a foreign-key violation that
-- the rebuilt table never clears (deferred or not; this migration first
-- deferred them, and failed on any mailbox message left on a call), and
-- foreign keys cannot be switched off inside the migration's transaction:
-- the messages let go of their calls while calls is rebuilt, and take them
-- back after.
CREATE TABLE messages_calls_up AS SELECT id, call_id FROM messages WHERE call_id IS NOT NULL;
UPDATE messages SET call_id = NULL WHERE call_id IS NOT NULL;
CREATE TABLE calls_new (
    id TEXT PRIMARY KEY,
    caller_account_id TEXT REFERENCES accounts (id),
    caller_guest TEXT,
    caller_number TEXT,
    callee_number TEXT NOT NULL,
    callee_account_id TEXT REFERENCES accounts (id),
    node TEXT NOT NULL,
    video BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL CHECK (state IN ('ringing', 'active', 'mailbox', 'ended')),
    outcome TEXT CHECK (outcome IN ('answered', 'declined', 'no_answer', 'busy', 'offline', 'cancelled', 'failed')),
    started_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    ended_at TIMESTAMP,
    duration_ms BIGINT,
    CHECK ((caller_account_id IS NULL) <> (caller_guest IS NULL))
);
INSERT INTO calls_new (id, caller_account_id, caller_number, callee_number, callee_account_id, node, video, state, outcome, started_at, answered_at, ended_at, duration_ms)
    SELECT id, caller_account_id, caller_number, callee_number, callee_account_id, node, video, state, outcome, started_at, answered_at, ended_at, duration_ms FROM calls;
DROP TABLE calls;
ALTER TABLE calls_new RENAME TO calls;
CREATE INDEX calls_caller ON calls (caller_account_id, started_at);
CREATE INDEX calls_callee ON calls (callee_account_id, started_at);
UPDATE messages SET call_id = (SELECT u.call_id FROM messages_calls_up u WHERE u.id = messages.id)
    WHERE id IN (SELECT id FROM messages_calls_up);
DROP TABLE messages_calls_up;

-- Each agent's routing state. idle_since orders the available agents: the
-- one idle longest is offered the next shopper.
CREATE TABLE agent_states (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    store_id BIGINT NOT NULL REFERENCES stores (id),
    state TEXT NOT NULL CHECK (state IN ('offline', 'available', 'ringing', 'on_call', 'wrap_up', 'away')),
    since TIMESTAMP NOT NULL,
    idle_since TIMESTAMP NOT NULL,
    wrap_until TIMESTAMP,
    entry_id TEXT
);
CREATE INDEX agent_states_routing ON agent_states (store_id, state, idle_since);

-- One shopper in (or served by) a store's queue: the engagement, once an
-- agent answers. context is the snapshot the agent's desk shows (never a
-- birth date).
CREATE TABLE queue_entries (
    id TEXT PRIMARY KEY,
    store_id BIGINT NOT NULL REFERENCES stores (id),
    call_id TEXT NOT NULL,
    node TEXT NOT NULL,
    conn_id TEXT NOT NULL,
    agent_conn_id TEXT,
    device_id TEXT NOT NULL DEFAULT '',
    account_id TEXT REFERENCES accounts (id),
    guest_hash TEXT,
    shopper_name TEXT NOT NULL,
    shopper_number TEXT,
    product_id BIGINT REFERENCES products (id),
    context TEXT NOT NULL,
    video BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'connected', 'served', 'abandoned', 'callback', 'message', 'called_back')),
    callback BOOLEAN NOT NULL DEFAULT FALSE,
    agent_account_id TEXT REFERENCES accounts (id),
    entered_at TIMESTAMP NOT NULL,
    offered_at TIMESTAMP,
    answered_at TIMESTAMP,
    ended_at TIMESTAMP,
    fallback_at TIMESTAMP,
    outcome TEXT CHECK (outcome IN ('sold', 'no_sale', 'follow_up', 'not_interested', 'other')),
    note TEXT NOT NULL DEFAULT '',
    wrapped_at TIMESTAMP,
    CHECK ((account_id IS NULL) <> (guest_hash IS NULL))
);
CREATE INDEX queue_entries_store ON queue_entries (store_id, state, entered_at);
CREATE INDEX queue_entries_agent ON queue_entries (agent_account_id, entered_at);
-- The database itself refuses to give one agent two live shoppers.
CREATE UNIQUE INDEX queue_entries_one_per_agent ON queue_entries (agent_account_id) WHERE state IN ('offered', 'connected');

-- Messages left for a store when no agent could take the call.
CREATE TABLE store_messages (
    id TEXT PRIMARY KEY,
    store_id BIGINT NOT NULL REFERENCES stores (id),
    entry_id TEXT REFERENCES queue_entries (id),
    from_account_id TEXT REFERENCES accounts (id),
    from_name TEXT NOT NULL,
    from_number TEXT,
    blob_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    has_video BOOLEAN NOT NULL,
    duration_ms BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    heard_at TIMESTAMP
);
CREATE INDEX store_messages_store ON store_messages (store_id, created_at);

-- How long a shopper waits before being offered a message or a call back.
ALTER TABLE stores ADD COLUMN max_wait_seconds INTEGER NOT NULL DEFAULT 120;

-- +goose Down
ALTER TABLE stores DROP COLUMN max_wait_seconds;
DROP TABLE store_messages;
DROP TABLE queue_entries;
DROP TABLE agent_states;
-- Before this migration every call had a caller with an account: guests'
-- calls cannot be given one, so they go (as their queue entries and store
-- messages did above), and calls is rebuilt as 00004 made it. Mailbox
-- messages keep their rows but no longer point at a deleted call.
UPDATE messages SET call_id = NULL WHERE call_id IN (SELECT id FROM calls WHERE caller_account_id IS NULL);
DELETE FROM calls WHERE caller_account_id IS NULL;
-- As on the way up, the messages let go of their calls while calls is
-- rebuilt, and take them back after.
CREATE TABLE messages_calls_down AS SELECT id, call_id FROM messages WHERE call_id IS NOT NULL;
UPDATE messages SET call_id = NULL WHERE call_id IS NOT NULL;
CREATE TABLE calls_old (
    id TEXT PRIMARY KEY,
    caller_account_id TEXT NOT NULL REFERENCES accounts (id),
    caller_number TEXT,
    callee_number TEXT NOT NULL,
    callee_account_id TEXT REFERENCES accounts (id),
    node TEXT NOT NULL,
    video BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL CHECK (state IN ('ringing', 'active', 'mailbox', 'ended')),
    outcome TEXT CHECK (outcome IN ('answered', 'declined', 'no_answer', 'busy', 'offline', 'cancelled', 'failed')),
    started_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    ended_at TIMESTAMP,
    duration_ms BIGINT
);
INSERT INTO calls_old (id, caller_account_id, caller_number, callee_number, callee_account_id, node, video, state, outcome, started_at, answered_at, ended_at, duration_ms)
    SELECT id, caller_account_id, caller_number, callee_number, callee_account_id, node, video, state, outcome, started_at, answered_at, ended_at, duration_ms FROM calls;
DROP TABLE calls;
ALTER TABLE calls_old RENAME TO calls;
CREATE INDEX calls_caller ON calls (caller_account_id, started_at);
CREATE INDEX calls_callee ON calls (callee_account_id, started_at);
UPDATE messages SET call_id = (SELECT d.call_id FROM messages_calls_down d WHERE d.id = messages.id)
    WHERE id IN (SELECT id FROM messages_calls_down);
DROP TABLE messages_calls_down;
