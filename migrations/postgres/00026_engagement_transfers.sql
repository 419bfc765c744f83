-- +goose Up
-- Each transfer of a live engagement (agentdesk/transfer.go): from the
-- agent who owned it to a colleague of the store (warm: they talk first;
-- cold: straight through) or to a store's line (queue, at its front).
-- outcome is NULL while the transfer is in flight: ringing (the target's
-- desk rings) or consulting (warm: the two agents talk, the shopper on
-- hold); then completed, no_answer, declined, queued or failed. One
-- transfer at a time per engagement: the partial unique index. to_entry_id
-- is the entry the engagement continues as (another store's line opens a
-- new entry there); to_conn_id the target's connection once they answer.
-- No foreign keys to accounts: the rows are history.
CREATE TABLE engagement_transfers (
    id TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES queue_entries (id) ON DELETE CASCADE,
    to_entry_id TEXT,
    store_id BIGINT NOT NULL,
    to_store_id BIGINT NOT NULL,
    from_agent_id TEXT NOT NULL,
    to_agent_id TEXT,
    to_conn_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('warm', 'cold', 'queue')),
    reason TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('ringing', 'consulting', 'completed', 'no_answer', 'declined', 'queued', 'failed')),
    created_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    ended_at TIMESTAMP
);
CREATE UNIQUE INDEX engagement_transfers_in_flight ON engagement_transfers (entry_id) WHERE ended_at IS NULL;
CREATE INDEX engagement_transfers_to_entry ON engagement_transfers (to_entry_id);

-- +goose Down
DROP TABLE engagement_transfers;
