-- envmon schema, version 12: air-quality forecasts, stored as notices are
-- (V6): a forecast with its versions, drafted by one staff member and
-- approved by another, each issued version kept as the signed document. Every
-- staff action on them is in audit_log, in the same transaction.

CREATE SEQUENCE forecast_number;

CREATE TABLE forecast (
    id          text PRIMARY KEY,
    -- The city or a district of the registry.
    area_id     text NOT NULL REFERENCES area (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forecast_by_area ON forecast (area_id, created_at);

-- Every version of every forecast. A draft becomes published (version 1) or
-- updated (later versions) when someone other than its author approves it;
-- a withdrawal is its own version. `document` is the signed public JSON
-- exactly as issued; `last_day` is its last Beijing day, so the current
-- forecasts and the ones due for scoring are found without reading it.
CREATE TABLE forecast_version (
    forecast_id   text NOT NULL REFERENCES forecast (id),
    version       integer NOT NULL CHECK (version >= 1),
    state         text NOT NULL CHECK (state IN ('draft', 'published', 'updated', 'withdrawn')),
    content       jsonb NOT NULL,
    drafted_by    bigint NOT NULL REFERENCES staff_user (id),
    drafted_at    timestamptz NOT NULL DEFAULT now(),
    approved_by   bigint REFERENCES staff_user (id),
    published_at  timestamptz,
    document      jsonb,
    last_day      date,
    PRIMARY KEY (forecast_id, version),
    -- The two-person rule, held by the schema as well as the code.
    CHECK (approved_by IS NULL OR approved_by <> drafted_by),
    CHECK ((state = 'draft') = (published_at IS NULL)),
    CHECK ((state = 'draft') = (document IS NULL))
);
CREATE UNIQUE INDEX forecast_one_draft ON forecast_version (forecast_id)
    WHERE state = 'draft';
CREATE INDEX forecast_version_issued ON forecast_version (published_at)
    WHERE state <> 'draft';
