-- +goose Up
-- A booking's token puts one call at the front of the line, once:
-- appointment_id records the appointment on the entry of the booked call
-- it admitted, and the unique index lets only one entry per appointment
-- hold that claim while it waits, is offered, connected, served or called
-- back. Another call with the same token then queues as an ordinary call.
-- An entry abandoned (or turned into a message) before an agent took it
-- gives the claim back, so a shopper whose call dropped may join again.
-- No foreign key, as for preferred_agent_id (00021): SQLite cannot drop a
-- referencing column.
ALTER TABLE queue_entries ADD COLUMN appointment_id TEXT;
CREATE UNIQUE INDEX queue_entries_one_per_appointment ON queue_entries (appointment_id)
    WHERE appointment_id IS NOT NULL AND state IN ('waiting', 'offered', 'connected', 'served', 'callback', 'called_back');

-- calls.outcome may say connection_lost. SQLite cannot change a CHECK, so
-- calls is rebuilt, keeping every row; as in 00006, the messages let go of
-- their calls while it is rebuilt (dropping a referenced table would count
-- as a foreign-key violation) and take them back after.
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
    outcome TEXT CHECK (outcome IN ('answered', 'declined', 'no_answer', 'busy', 'offline', 'cancelled', 'failed', 'connection_lost')),
    started_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    ended_at TIMESTAMP,
    duration_ms BIGINT,
    CHECK ((caller_account_id IS NULL) <> (caller_guest IS NULL))
);
INSERT INTO calls_new (id, caller_account_id, caller_guest, caller_number, callee_number, callee_account_id, node, video, state, outcome, started_at, answered_at, ended_at, duration_ms)
    SELECT id, caller_account_id, caller_guest, caller_number, callee_number, callee_account_id, node, video, state, outcome, started_at, answered_at, ended_at, duration_ms FROM calls;
DROP TABLE calls;
ALTER TABLE calls_new RENAME TO calls;
CREATE INDEX calls_caller ON calls (caller_account_id, started_at);
CREATE INDEX calls_callee ON calls (callee_account_id, started_at);
UPDATE messages SET call_id = (SELECT k.call_id FROM messages_calls_up k WHERE k.id = messages.id)
    WHERE id IN (SELECT id FROM messages_calls_up);
DROP TABLE messages_calls_up;

-- +goose Down
-- A lost call was stored as failed before this migration.
UPDATE calls SET outcome = 'failed' WHERE outcome = 'connection_lost';
CREATE TABLE messages_calls_down AS SELECT id, call_id FROM messages WHERE call_id IS NOT NULL;
UPDATE messages SET call_id = NULL WHERE call_id IS NOT NULL;
CREATE TABLE calls_old (
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
INSERT INTO calls_old (id, caller_account_id, caller_guest, caller_number, callee_number, callee_account_id, node, video, state, outcome, started_at, answered_at, ended_at, duration_ms)
    SELECT id, caller_account_id, caller_guest, caller_number, callee_number, callee_account_id, node, video, state, outcome, started_at, answered_at, ended_at, duration_ms FROM calls;
DROP TABLE calls;
ALTER TABLE calls_old RENAME TO calls;
CREATE INDEX calls_caller ON calls (caller_account_id, started_at);
CREATE INDEX calls_callee ON calls (callee_account_id, started_at);
UPDATE messages SET call_id = (SELECT k.call_id FROM messages_calls_down k WHERE k.id = messages.id)
    WHERE id IN (SELECT id FROM messages_calls_down);
DROP TABLE messages_calls_down;
DROP INDEX queue_entries_one_per_appointment;
ALTER TABLE queue_entries DROP COLUMN appointment_id;
