-- +goose Up
-- Network roles (coordinator, auditor, network_admin) count only in a
-- coordinating body, so an organisation's kind decides what its members'
-- roles allow. When the kind changes, every replica must drop its cached
-- view of those members' roles, exactly as for a change of the memberships.
-- +goose StatementBegin
CREATE FUNCTION notify_kind_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('casebridge_memberships', m.subject)
        FROM memberships m WHERE m.organization_id = NEW.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER organizations_kind_notify
    AFTER UPDATE OF kind ON organizations
    FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind)
    EXECUTE FUNCTION notify_kind_change();

-- +goose Down
DROP TRIGGER organizations_kind_notify ON organizations;
DROP FUNCTION notify_kind_change;
