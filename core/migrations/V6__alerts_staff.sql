-- envmon schema, version 6: staff users, sessions and API tokens; alarms;
-- public alert notices with their versions; the append-only audit chain.

CREATE TABLE staff_user (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    role            text NOT NULL CHECK (role IN ('operator', 'approver', 'admin')),
    -- argon2id PHC string; the password itself is never stored.
    password_hash   text NOT NULL,
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Browser sessions: only the SHA-256 of the cookie value is kept, so a
-- copy of the table does not log anyone in.
CREATE TABLE staff_session (
    token_hash  text PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES staff_user (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX staff_session_expires ON staff_session (expires_at);

-- Tokens for automation, hashed like sessions.
CREATE TABLE api_token (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,
    user_id     bigint NOT NULL REFERENCES staff_user (id),
    label       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- Internal alarms raised by ingest's rules; at most one open per rule and
-- station. `evidence` keeps the readings that raised it.
CREATE TABLE alarm (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule             text NOT NULL,
    station_code     text NOT NULL,
    parameter_code   text,
    state            text NOT NULL CHECK (state IN ('raised', 'cleared')),
    raised_at        timestamptz NOT NULL,
    cleared_at       timestamptz,
    threshold        double precision,
    worst            double precision,
    message          text NOT NULL,
    evidence         jsonb NOT NULL,
    acknowledged_by  bigint REFERENCES staff_user (id),
    acknowledged_at  timestamptz,
    changed_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alarm_one_open ON alarm (rule, station_code) WHERE state = 'raised';
CREATE INDEX alarm_changed_at ON alarm (changed_at);

CREATE SEQUENCE alert_notice_number;

CREATE TABLE alert_notice (
    id          text PRIMARY KEY,
    alarm_id    bigint REFERENCES alarm (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every version of every notice. A draft becomes published (version 1) or
-- updated (later versions) when someone other than its author approves it;
-- a cancellation is its own version. `document` is the signed public JSON
-- exactly as issued.
CREATE TABLE alert_notice_version (
    notice_id     text NOT NULL REFERENCES alert_notice (id),
    version       integer NOT NULL CHECK (version >= 1),
    state         text NOT NULL CHECK (state IN ('draft', 'published', 'updated', 'cancelled')),
    content       jsonb NOT NULL,
    drafted_by    bigint NOT NULL REFERENCES staff_user (id),
    drafted_at    timestamptz NOT NULL DEFAULT now(),
    approved_by   bigint REFERENCES staff_user (id),
    published_at  timestamptz,
    document      jsonb,
    PRIMARY KEY (notice_id, version),
    -- The two-person rule, held by the schema as well as the code.
    CHECK (approved_by IS NULL OR approved_by <> drafted_by),
    CHECK ((state = 'draft') = (published_at IS NULL)),
    CHECK ((state = 'draft') = (document IS NULL))
);
CREATE UNIQUE INDEX alert_notice_one_draft ON alert_notice_version (notice_id)
    WHERE state = 'draft';

-- The audit chain (see envmon-core alert::audit). Rows can be added, never
-- changed or removed: the triggers refuse it for every role, the owner
-- included, short of dropping the trigger (which `envmon audit verify`
-- would then expose through the broken hashes).
CREATE TABLE audit_log (
    seq        bigint PRIMARY KEY CHECK (seq >= 1),
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    subject    text NOT NULL,
    detail     text NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL UNIQUE
);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
