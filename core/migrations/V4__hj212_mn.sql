-- envmon schema, version 4: the MN of a station's HJ 212 data logger, which
-- names the station in HJ 212 packets (one logger, one station).
ALTER TABLE station ADD COLUMN hj212_mn text UNIQUE;
