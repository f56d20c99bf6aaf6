-- +goose Up
-- A version per organisation of everything the case counts read: its
-- cases' coded attributes, its cases' statistics consents, and its kind.
-- Each statement that changes one of them bumps the versions of the
-- organisations it touched, in its own transaction, so a reader that takes
-- the versions and the counts in one snapshot knows exactly which
-- population its answer is about, and the statistics cache can tell an
-- unchanged population from a changed one by the sum of the versions
-- (they only grow). One row per organisation keeps writers of different
-- organisations from waiting on each other.
CREATE TABLE stats_population (
    organization_id text PRIMARY KEY REFERENCES organizations (id),
    version         bigint NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION stats_population_bump(orgs text[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO stats_population AS p (organization_id, version)
    SELECT DISTINCT o, 1 FROM unnest(orgs) o WHERE o IS NOT NULL ORDER BY 1
    ON CONFLICT (organization_id) DO UPDATE SET version = p.version + 1;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION stats_population_cases() RETURNS trigger
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

CREATE TRIGGER stats_population_cases_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_population_cases();
CREATE TRIGGER stats_population_cases_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_population_cases();
CREATE TRIGGER stats_population_cases_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_population_cases();

-- Only statistics consents (purpose 3) decide whether a case counts.
-- +goose StatementBegin
CREATE FUNCTION stats_population_consents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_population_bump(ARRAY(SELECT c.organization_id FROM new_rows n
            JOIN cases c ON c.id = n.case_id WHERE n.purpose = 3));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM stats_population_bump(ARRAY(SELECT c.organization_id FROM old_rows n
            JOIN cases c ON c.id = n.case_id WHERE n.purpose = 3));
    ELSE
        PERFORM stats_population_bump(ARRAY(SELECT c.organization_id FROM
            (SELECT case_id, purpose FROM new_rows UNION ALL SELECT case_id, purpose FROM old_rows) n
            JOIN cases c ON c.id = n.case_id WHERE n.purpose = 3));
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER stats_population_consents_insert AFTER INSERT ON consents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_population_consents();
CREATE TRIGGER stats_population_consents_update AFTER UPDATE ON consents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_population_consents();
CREATE TRIGGER stats_population_consents_delete AFTER DELETE ON consents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_population_consents();

-- An organisation's kind is a dimension of the counts.
-- +goose StatementBegin
CREATE FUNCTION stats_population_organizations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stats_population_bump(ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.kind IS DISTINCT FROM o.kind));
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER stats_population_organizations_update AFTER UPDATE ON organizations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_population_organizations();

-- +goose Down
DROP TRIGGER stats_population_organizations_update ON organizations;
DROP TRIGGER stats_population_consents_delete ON consents;
DROP TRIGGER stats_population_consents_update ON consents;
DROP TRIGGER stats_population_consents_insert ON consents;
DROP TRIGGER stats_population_cases_delete ON cases;
DROP TRIGGER stats_population_cases_update ON cases;
DROP TRIGGER stats_population_cases_insert ON cases;
DROP FUNCTION stats_population_organizations();
DROP FUNCTION stats_population_consents();
DROP FUNCTION stats_population_cases();
DROP FUNCTION stats_population_bump(text[]);
DROP TABLE stats_population;
