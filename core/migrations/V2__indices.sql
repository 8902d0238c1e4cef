-- envmon schema, version 2: averaging periods, aggregates with their
-- validity counts, and the official indices.

-- The averaging period a sensor declared for a value: 0 for an
-- instantaneous reading, 3600 for an hourly mean labelled by its end.
ALTER TABLE reading ADD COLUMN period_seconds integer NOT NULL DEFAULT 0
    CHECK (period_seconds BETWEEN 0 AND 86400);

-- 1-hour means, labelled by the end of the hour (GB 3095-2026 Table 4: valid
-- with >= 45 minutes of data). `value` is the mean of the data there was,
-- kept even when invalid so the count explains the verdict.
CREATE TABLE hourly_mean (
    station_code   text NOT NULL,
    parameter_code text NOT NULL,
    hour_end       timestamptz NOT NULL,
    value          double precision,
    minutes        smallint NOT NULL,
    valid          boolean NOT NULL,
    PRIMARY KEY (station_code, parameter_code, hour_end)
);

-- Daily statistics of a Beijing calendar day: `mean` (>= 20 hourly values),
-- and for O3 `max_8h` (valid windows counted) and `max_1h`.
CREATE TABLE daily_stat (
    station_code   text NOT NULL,
    parameter_code text NOT NULL,
    day            date NOT NULL,
    statistic      text NOT NULL CHECK (statistic IN ('mean', 'max_8h', 'max_1h')),
    value          double precision,
    count          smallint NOT NULL,
    valid          boolean NOT NULL,
    PRIMARY KEY (station_code, parameter_code, day, statistic)
);

-- HJ 633 real-time (hourly) and daily AQI. `aqi` is what may be published
-- (NULL when HJ 633-2026 §5.3 withholds it); `report` explains the verdict.
CREATE TABLE aqi_hourly (
    station_code       text NOT NULL,
    hour_end           timestamptz NOT NULL,
    edition            text NOT NULL,
    aqi                smallint,
    computed_aqi       smallint,
    level              smallint,
    primary_pollutants text[] NOT NULL,
    report             jsonb NOT NULL,
    computed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, hour_end)
);

CREATE TABLE aqi_daily (
    station_code       text NOT NULL,
    day                date NOT NULL,
    edition            text NOT NULL,
    aqi                smallint,
    computed_aqi       smallint,
    level              smallint,
    primary_pollutants text[] NOT NULL,
    report             jsonb NOT NULL,
    computed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, day)
);

-- GB 3838-2002 assessment of each water record (one station, one instant).
CREATE TABLE water_assessment (
    station_code text NOT NULL,
    observed_at  timestamptz NOT NULL,
    class        smallint CHECK (class BETWEEN 1 AND 6),
    meets_target boolean,
    report       jsonb NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, observed_at)
);

-- What the indices must be recomputed for, written in the same transaction
-- as the readings, so a crash between storing and computing loses nothing:
-- for air stations the hour label, for water sites the record's instant.
CREATE TABLE rollup_pending (
    station_code text NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (station_code, at)
);
