-- +goose Up
-- Who is in a call besides its caller and callee (directory/call_members.go):
-- members a party added (a conference), supervisors and colleagues the
-- contact center brought in. A row lives while they are in the room, so
-- the live directory shows them busy (in a call) from any node; it goes
-- when they leave and with its call.
CREATE TABLE call_members (
    call_id TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    conn_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (call_id, conn_id)
);
CREATE INDEX call_members_account ON call_members (account_id);

-- +goose Down
DROP TABLE call_members;
