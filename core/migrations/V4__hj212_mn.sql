-- envmon schema, version 4: the MN of a station's HJ 212 data logger, which
-- names the station in HJ 212 packets (one logger, one station); and a
-- revision counter on readings, so a corrected value is known as one.
ALTER TABLE station ADD COLUMN hj212_mn text UNIQUE;

-- 0 for a value as first stored; each correction of the same key adds 1.
ALTER TABLE reading ADD COLUMN revision integer NOT NULL DEFAULT 0;
