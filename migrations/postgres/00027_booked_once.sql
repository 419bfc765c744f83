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

-- +goose Down
DROP INDEX queue_entries_one_per_appointment;
ALTER TABLE queue_entries DROP COLUMN appointment_id;
