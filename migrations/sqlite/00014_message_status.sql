-- +goose Up
-- A message's row is written before its file, as 'pending', and turns
-- 'ready' (listed) once the file is stored: a crash in between leaves a
-- pending row, never a file without a row. node names the node whose blob
-- store holds the file, so that node settles its pending rows at start.
ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT 'ready' CHECK (status IN ('pending', 'ready'));
ALTER TABLE messages ADD COLUMN node TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_pending ON messages (node, created_at) WHERE status = 'pending';
CREATE INDEX messages_blob ON messages (blob_key);

ALTER TABLE store_messages ADD COLUMN status TEXT NOT NULL DEFAULT 'ready' CHECK (status IN ('pending', 'ready'));
ALTER TABLE store_messages ADD COLUMN node TEXT NOT NULL DEFAULT '';
CREATE INDEX store_messages_pending ON store_messages (node, created_at) WHERE status = 'pending';
CREATE INDEX store_messages_blob ON store_messages (blob_key);

-- +goose Down
DROP INDEX store_messages_blob;
DROP INDEX store_messages_pending;
ALTER TABLE store_messages DROP COLUMN node;
ALTER TABLE store_messages DROP COLUMN status;
DROP INDEX messages_blob;
DROP INDEX messages_pending;
ALTER TABLE messages DROP COLUMN node;
ALTER TABLE messages DROP COLUMN status;
