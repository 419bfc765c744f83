-- +goose Up
-- What a member is told of missed calls and new messages while away: each
-- by push and by email, all on unless turned off. last_email_at holds the
-- email rate (at most one per 10 minutes), claimed by one guarded UPDATE
-- so two nodes never both send.
CREATE TABLE notice_settings (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    missed_call_push BOOLEAN NOT NULL DEFAULT TRUE,
    missed_call_email BOOLEAN NOT NULL DEFAULT TRUE,
    message_push BOOLEAN NOT NULL DEFAULT TRUE,
    message_email BOOLEAN NOT NULL DEFAULT TRUE,
    last_email_at TIMESTAMP
);

-- +goose Down
DROP TABLE notice_settings;
