-- Laboratory results: drinking-water sources (GB 3838-2002) and the public
-- supply (GB 5749-2022) are mostly tested in laboratories, monthly or
-- quarterly. Staff import a laboratory's file as a batch; a second person
-- publishes it (the two-person rule), and only then do its results count.

CREATE TABLE lab_batch (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    format_version smallint NOT NULL,
    -- 'csv' or 'json': the submitted text is kept byte for byte and parsed
    -- again when published, so exactly what was previewed is published.
    media          text NOT NULL CHECK (media IN ('csv', 'json')),
    body           text NOT NULL,
    body_sha256    text NOT NULL,
    file_name      text,
    samples        integer NOT NULL,
    results        integer NOT NULL,
    submitted_by   text NOT NULL,
    submitted_at   timestamptz NOT NULL DEFAULT now(),
    state          text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'published', 'rejected')),
    decided_by     text,
    decided_at     timestamptz,
    reason         text,
    CHECK ((state = 'pending') = (decided_by IS NULL)),
    -- Nobody publishes their own import.
    CHECK (decided_by IS NULL OR decided_by <> submitted_by)
);

-- One sample: every result of one site under one laboratory sample id.
CREATE TABLE lab_sample (
    station_code text NOT NULL,
    sample_id    text NOT NULL CHECK (length(sample_id) BETWEEN 1 AND 64),
    sampled_at   timestamptz NOT NULL,
    laboratory   text NOT NULL,
    standard     text NOT NULL CHECK (standard IN ('GB 3838-2002', 'GB 5749-2022')),
    -- NULL when nothing in the sample could be judged.
    compliant    boolean,
    verdict      jsonb NOT NULL,
    batch_id     bigint NOT NULL REFERENCES lab_batch (id),
    revision     integer NOT NULL DEFAULT 0,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, sample_id)
);
CREATE INDEX lab_sample_sampled_at ON lab_sample (sampled_at);
CREATE INDEX lab_sample_published_at ON lab_sample (published_at);

-- One result; a correction replaces it and raises its revision, and the
-- replaced value is kept in lab_result_revision.
CREATE TABLE lab_result (
    station_code    text NOT NULL,
    sample_id       text NOT NULL,
    item            text NOT NULL,
    -- How the laboratory reported it: a number, below a detection limit,
    -- not detected, detected, or a sensory observation (none / present).
    qualifier       text NOT NULL CHECK (qualifier IN
        ('measured', 'below_detection', 'not_detected', 'detected', 'none', 'present')),
    -- The measured value, or the detection limit of a below-detection
    -- result; never a zero standing in for "not found".
    value           double precision,
    value_text      text NOT NULL,
    unit            text NOT NULL,
    method          text NOT NULL DEFAULT '',
    outcome         text NOT NULL CHECK (outcome IN ('pass', 'fail', 'not_judged', 'nuclide_analysis')),
    limit_text      text,
    batch_id        bigint NOT NULL REFERENCES lab_batch (id),
    revision        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (station_code, sample_id, item),
    FOREIGN KEY (station_code, sample_id) REFERENCES lab_sample (station_code, sample_id),
    CHECK ((qualifier IN ('measured', 'below_detection')) = (value IS NOT NULL))
);

CREATE TABLE lab_result_revision (
    station_code text NOT NULL,
    sample_id    text NOT NULL,
    item         text NOT NULL,
    revision     integer NOT NULL,
    qualifier    text NOT NULL,
    value        double precision,
    value_text   text NOT NULL,
    unit         text NOT NULL,
    method       text NOT NULL,
    batch_id     bigint NOT NULL REFERENCES lab_batch (id),
    replaced_by  bigint NOT NULL REFERENCES lab_batch (id),
    replaced_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, sample_id, item, revision)
);
