-- +goose Up
-- An update of a case bumps its organisation's population version only
-- when it changes what the counts read: the owner or a coded attribute.
-- Notes, sensitive data, status and assignment change nothing counted, and
-- bumping on them would make every case update of an organisation wait on
-- the one version row (and throw the kept answers away for nothing).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION stats_population_cases() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_population_bump(ARRAY(SELECT DISTINCT organization_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM stats_population_bump(ARRAY(SELECT DISTINCT organization_id FROM old_rows));
    ELSE
        PERFORM stats_population_bump(ARRAY(
            SELECT unnest(ARRAY[o.organization_id, n.organization_id])
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.organization_id, o.sex, o.age_band, o.child, o.nationality, o.country,
                   o.identification_year, o.exploitation_forms, o.identification_status)
                IS DISTINCT FROM
                  (n.organization_id, n.sex, n.age_band, n.child, n.nationality, n.country,
                   n.identification_year, n.exploitation_forms, n.identification_status)));
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION stats_population_cases() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_population_bump(ARRAY(SELECT DISTINCT organization_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM stats_population_bump(ARRAY(SELECT DISTINCT organization_id FROM old_rows));
    ELSE
        PERFORM stats_population_bump(ARRAY(SELECT organization_id FROM new_rows
            UNION SELECT organization_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
