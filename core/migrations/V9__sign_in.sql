-- envmon schema, version 9: sign-in that holds under attack; API tokens
-- that expire, carry a role and can be revoked.

-- One row per name tried (known or not) and per known browser: wrong
-- passwords in a row and when the next attempt may be checked. A name
-- nobody has is throttled exactly like a real one, so the answers cannot
-- tell them apart. Replaces staff_user's lockout columns.
CREATE TABLE login_throttle (
    subject          text PRIMARY KEY,
    failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);

ALTER TABLE staff_user DROP COLUMN failed_logins, DROP COLUMN locked_until;

-- Browsers that signed in to an account: their attempts are throttled on
-- their own, so a flood of wrong passwords against the name does not keep
-- its owner out. Only the SHA-256 of the cookie value is kept.
CREATE TABLE staff_browser (
    token_hash  text PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES staff_user (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX staff_browser_user ON staff_browser (user_id);

-- Tokens expire, act with a role no higher than their creator's, and are
-- revoked by their owner, an admin, or with the account. Tokens made before
-- this version keep their owner's role and expire 90 days after creation.
ALTER TABLE api_token
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN role text CHECK (role IN ('operator', 'approver', 'admin')),
    ADD COLUMN revoked_by text;
UPDATE api_token t SET expires_at = t.created_at + interval '90 days', role = u.role
    FROM staff_user u WHERE u.id = t.user_id;
ALTER TABLE api_token
    ALTER COLUMN expires_at SET NOT NULL,
    ALTER COLUMN role SET NOT NULL;
CREATE INDEX api_token_user ON api_token (user_id);
