-- +goose Up
-- The shared whiteboard of an engagement: strokes, text and product cards
-- drawn by the shopper or the agent, kept with the engagement so it can be
-- reopened from the order. Erased items stay, marked, as a record.
CREATE TABLE board_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL REFERENCES queue_entries (id),
    author_role TEXT NOT NULL CHECK (author_role IN ('shopper', 'agent')),
    author_account_id TEXT REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('stroke', 'text', 'product')),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    erased_at TIMESTAMP
);
CREATE INDEX board_items_entry ON board_items (entry_id, id);

-- +goose Down
DROP TABLE board_items;
