-- envmon schema, version 7: aggregates and dead letters partitioned by month,
-- like `reading`, so retention drops whole months instead of deleting rows.
--
-- Each table is rebuilt as a partitioned table with the same columns,
-- defaults, checks and primary key (plus the time column where the key
-- lacked it: PostgreSQL requires it in a partitioned table's keys); a
-- monthly partition is created for every month that has rows, a DEFAULT
-- partition catches the rest, and the rows are copied over. envmon's
-- maintenance task (core/src/db/retention.rs) creates partitions ahead and
-- drops expired ones.

CREATE FUNCTION pg_temp.envmon_partition_monthly(tbl text, col text, key_columns text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old text := tbl || '_unpartitioned';
    month date;
    identity_column text;
    month_of text;
BEGIN
    -- The month of a row, in UTC: dates as they are, instants in UTC.
    SELECT CASE WHEN atttypid = 'date'::regtype
                THEN format('date_trunc(''month'', %I::timestamp)::date', col)
                ELSE format('date_trunc(''month'', %I AT TIME ZONE ''UTC'')::date', col) END
        INTO month_of FROM pg_attribute WHERE attrelid = tbl::regclass AND attname = col;
    EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
    EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', old, tbl || '_pkey', old || '_pkey');
    EXECUTE format(
        'CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY '
        'INCLUDING GENERATED INCLUDING STORAGE) PARTITION BY RANGE (%I)', tbl, old, col);
    EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (%s)', tbl, key_columns);
    FOR month IN EXECUTE format('SELECT DISTINCT %s FROM %I', month_of, old)
    LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
            tbl || '_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM'), tbl,
            to_char(month, 'YYYY-MM-DD') || ' 00:00:00+00',
            to_char((month + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00');
    END LOOP;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
    SELECT attname INTO identity_column FROM pg_attribute
        WHERE attrelid = tbl::regclass AND attidentity <> '' AND NOT attisdropped;
    IF identity_column IS NULL THEN
        EXECUTE format('INSERT INTO %I SELECT * FROM %I', tbl, old);
    ELSE
        EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I', tbl, old);
        -- New rows continue after the copied ones.
        EXECUTE format(
            'SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %I), 0) + 1, false)',
            tbl, identity_column, identity_column, tbl);
    END IF;
    EXECUTE format('DROP TABLE %I', old);
END
$$;

SELECT pg_temp.envmon_partition_monthly('hourly_mean', 'hour_end', 'station_code, parameter_code, hour_end');
SELECT pg_temp.envmon_partition_monthly('aqi_hourly', 'hour_end', 'station_code, hour_end');
SELECT pg_temp.envmon_partition_monthly('daily_stat', 'day', 'station_code, parameter_code, day, statistic');
SELECT pg_temp.envmon_partition_monthly('aqi_daily', 'day', 'station_code, day');
SELECT pg_temp.envmon_partition_monthly('water_assessment', 'observed_at', 'station_code, observed_at');
SELECT pg_temp.envmon_partition_monthly('dead_letter', 'received_at', 'id, received_at');
CREATE INDEX dead_letter_received_at ON dead_letter (received_at);

DROP FUNCTION pg_temp.envmon_partition_monthly(text, text, text);
