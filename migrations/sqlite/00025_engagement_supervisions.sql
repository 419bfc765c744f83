-- +goose Up
-- What a store's supervisors did in its live calls: each step in (monitor,
-- whisper, barge) and out (stop), by whom, when, and through which desk
-- connection. A supervisor's latest row says where they are now: one call
-- at a time, in the mode of that row until a stop (or the call's end).
CREATE TABLE engagement_supervisions (
    id TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES queue_entries (id),
    store_id BIGINT NOT NULL REFERENCES stores (id),
    supervisor_account_id TEXT NOT NULL REFERENCES accounts (id),
    mode TEXT NOT NULL CHECK (mode IN ('monitor', 'whisper', 'barge', 'stop')),
    conn_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX engagement_supervisions_entry ON engagement_supervisions (entry_id, at);
CREATE INDEX engagement_supervisions_supervisor ON engagement_supervisions (supervisor_account_id, at);

-- +goose Down
DROP TABLE engagement_supervisions;
