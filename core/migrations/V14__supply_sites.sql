-- The public water supply joins the registry: water-plant outlets (出厂水,
-- kind 'plant') and network points (管网水/末梢水, kind 'tap'), judged by
-- GB 5749-2022 instead of GB 3838-2002, so they carry no water-body type or
-- target class. A network point names the plant that supplies it.

DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
        WHERE conrelid = 'station'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%kind%'
    LOOP
        EXECUTE format('ALTER TABLE station DROP CONSTRAINT %I', c.conname);
    END LOOP;
END $$;

ALTER TABLE station ADD COLUMN plant text CHECK (plant ~ '^[A-Za-z0-9-]{1,32}$');

ALTER TABLE station
    ADD CONSTRAINT station_kind_known
        CHECK (kind IN ('air', 'river', 'source', 'plant', 'tap')),
    ADD CONSTRAINT station_surface_water_fields
        CHECK ((kind IN ('river', 'source')) = (water_body_type IS NOT NULL AND target_class IS NOT NULL)),
    ADD CONSTRAINT station_tap_names_plant
        CHECK ((kind = 'tap') = (plant IS NOT NULL));
