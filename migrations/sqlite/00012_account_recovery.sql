-- +goose Up
-- A session remembers when its holder last proved user verification with a
-- passkey (sign-in, sign-up, enrollment, recovery or a re-verification):
-- adding another passkey needs a recent one, so a stolen or forgotten
-- session cookie alone cannot add a passkey. NULL means "long ago".
ALTER TABLE sessions ADD COLUMN verified_at TIMESTAMP;

-- Recovery links an operator issued (`livemall account recover`): valid one
-- hour, used once, each adding one passkey. Rows are never deleted: they are
-- the audit of who let whom add a passkey, and when it was used.
CREATE TABLE account_recoveries (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    issued_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    passkey_id TEXT
);
CREATE INDEX account_recoveries_account ON account_recoveries (account_id, created_at);

-- +goose Down
DROP TABLE account_recoveries;
ALTER TABLE sessions DROP COLUMN verified_at;
