-- +goose Up
-- The directory keeps each member's display name beside their profile, so
-- that its paged search reads only its own tables. It is set when the
-- member's profile is made (sign-up) and kept current by auth's rename
-- hook; '' on a profile whose account is not a member's, which the search
-- leaves out. Members without a profile get the default one here.
ALTER TABLE member_profiles ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE member_profiles SET name = COALESCE(
    (SELECT a.name FROM accounts a WHERE a.id = member_profiles.account_id AND a.role = 'member'), '');
INSERT INTO member_profiles (account_id, name)
    SELECT a.id, a.name FROM accounts a
    WHERE a.role = 'member' AND NOT EXISTS (SELECT 1 FROM member_profiles p WHERE p.account_id = a.id);

-- +goose Down
ALTER TABLE member_profiles DROP COLUMN name;
