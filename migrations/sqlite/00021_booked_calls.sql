-- +goose Up
-- A shopper who booked a video call (appointments) rings the agent they
-- booked first. preferred_agent_id is that agent: it also marks the entry
-- as booked, which puts it at the front of the line for as long as it
-- waits. preferred_until is how long only that agent is offered it; once
-- it has passed (or the agent declined, let it ring out or went
-- offline) any free agent of the store may take it. No foreign key: the
-- column is a routing hint, and SQLite cannot drop a referencing column.
ALTER TABLE queue_entries ADD COLUMN preferred_agent_id TEXT;
ALTER TABLE queue_entries ADD COLUMN preferred_until TIMESTAMP;

-- +goose Down
ALTER TABLE queue_entries DROP COLUMN preferred_until;
ALTER TABLE queue_entries DROP COLUMN preferred_agent_id;
