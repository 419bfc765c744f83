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

-- calls.outcome may say connection_lost: a call whose connection was lost
-- (its room's node died, or the node found its own calls left open when it
-- started again), told apart from one that failed.
ALTER TABLE calls DROP CONSTRAINT calls_outcome_check;
ALTER TABLE calls ADD CONSTRAINT calls_outcome_check CHECK (outcome IN ('answered', 'declined', 'no_answer', 'busy', 'offline', 'cancelled', 'failed', 'connection_lost'));

-- +goose Down
-- A lost call was stored as failed before this migration.
UPDATE calls SET outcome = 'failed' WHERE outcome = 'connection_lost';
ALTER TABLE calls DROP CONSTRAINT calls_outcome_check;
ALTER TABLE calls ADD CONSTRAINT calls_outcome_check CHECK (outcome IN ('answered', 'declined', 'no_answer', 'busy', 'offline', 'cancelled', 'failed'));
DROP INDEX queue_entries_one_per_appointment;
ALTER TABLE queue_entries DROP COLUMN appointment_id;
