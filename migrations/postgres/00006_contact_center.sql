-- +goose Up
-- The contact center: agents' routing states, store queues, store messages.
-- Guests call stores too, so a call's caller may have no account.
ALTER TABLE calls ALTER COLUMN caller_account_id DROP NOT NULL;
ALTER TABLE calls ADD COLUMN caller_guest TEXT;
ALTER TABLE calls ADD CONSTRAINT calls_caller_party CHECK ((caller_account_id IS NULL) <> (caller_guest IS NULL));

-- Each agent's routing state. idle_since orders the available agents: the
-- one idle longest is offered the next shopper.
CREATE TABLE agent_states (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    store_id BIGINT NOT NULL REFERENCES stores (id),
    state TEXT NOT NULL CHECK (state IN ('offline', 'available', 'ringing', 'on_call', 'wrap_up', 'away')),
    since TIMESTAMPTZ NOT NULL,
    idle_since TIMESTAMPTZ NOT NULL,
    wrap_until TIMESTAMPTZ,
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
    entered_at TIMESTAMPTZ NOT NULL,
    offered_at TIMESTAMPTZ,
    answered_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    fallback_at TIMESTAMPTZ,
    outcome TEXT CHECK (outcome IN ('sold', 'no_sale', 'follow_up', 'not_interested', 'other')),
    note TEXT NOT NULL DEFAULT '',
    wrapped_at TIMESTAMPTZ,
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
    created_at TIMESTAMPTZ NOT NULL,
    heard_at TIMESTAMPTZ
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
-- messages did above), and the caller is required again as 00004 made it.
-- Mailbox messages keep their rows but no longer point at a deleted call.
UPDATE messages SET call_id = NULL WHERE call_id IN (SELECT id FROM calls WHERE caller_account_id IS NULL);
DELETE FROM calls WHERE caller_account_id IS NULL;
ALTER TABLE calls DROP CONSTRAINT calls_caller_party;
ALTER TABLE calls DROP COLUMN caller_guest;
ALTER TABLE calls ALTER COLUMN caller_account_id SET NOT NULL;
