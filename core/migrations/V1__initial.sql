-- envmon schema, version 1: the registry, readings, latest state, dead letters.

CREATE TABLE station (
    code                    text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9-]{1,32}$'),
    kind                    text NOT NULL CHECK (kind IN ('air', 'river', 'source')),
    name_zh                 text NOT NULL,
    name_en                 text NOT NULL,
    district_zh             text NOT NULL,
    district_en             text NOT NULL,
    longitude               double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    latitude                double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    coordinates_approximate boolean NOT NULL DEFAULT false,
    water_body_zh           text,
    water_body_en           text,
    basin_zh                text,
    basin_en                text,
    -- GB 3838-2002 Table 1 sets different TP limits for lakes and reservoirs.
    water_body_type         text CHECK (water_body_type IN ('river', 'lake')),
    -- GB 3838-2002 class the site must meet: 1 = I .. 5 = V.
    target_class            smallint CHECK (target_class BETWEEN 1 AND 5),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'air') = (water_body_type IS NULL AND target_class IS NULL))
);

-- Filled from envmon-core's parameter table on every migrate, so code and
-- database always agree.
CREATE TABLE parameter (
    code          text PRIMARY KEY,
    name_zh       text NOT NULL,
    name_en       text NOT NULL,
    unit          text NOT NULL,
    air           boolean NOT NULL,
    plausible_min double precision NOT NULL,
    plausible_max double precision NOT NULL
);

-- One row per (station, parameter, observation instant); a repeated key
-- replaces the value, so redelivery is harmless. No foreign keys here: ingest
-- checks station and parameter before writing, and per-row key lookups would
-- halve the write rate of the largest table.
CREATE TABLE reading (
    station_code   text NOT NULL,
    parameter_code text NOT NULL,
    observed_at    timestamptz NOT NULL,
    value          double precision NOT NULL,
    quality        text NOT NULL,
    received_at    timestamptz NOT NULL,
    PRIMARY KEY (station_code, parameter_code, observed_at)
) PARTITION BY RANGE (observed_at);

-- Monthly partitions are created ahead of time; the default partition keeps
-- whatever falls outside them (far-past backfills, clock-skewed sensors), so
-- no reading is ever refused for its date.
CREATE TABLE reading_default PARTITION OF reading DEFAULT;

-- The latest value of each parameter at each station: the live state, kept
-- in the same transaction as the readings.
CREATE TABLE station_latest (
    station_code   text NOT NULL,
    parameter_code text NOT NULL,
    observed_at    timestamptz NOT NULL,
    value          double precision NOT NULL,
    quality        text NOT NULL,
    received_at    timestamptz NOT NULL,
    PRIMARY KEY (station_code, parameter_code)
);

-- Payloads that could not be used, with why.
CREATE TABLE dead_letter (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    topic       text NOT NULL,
    payload     bytea NOT NULL,
    reason_code text NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX dead_letter_received_at ON dead_letter (received_at);
