-- +goose Up
-- Tasks: follow-ups on a case, written down by members or raised by the
-- scheduler. Only kinds, dates, the assignee (a member, staff data) and the
-- id of what a system task is about are plain; a follow-up's title and
-- notes are sealed in texts (vault.TaskTexts, the care class).
CREATE TABLE tasks (
    id              uuid PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    organization_id text NOT NULL REFERENCES organizations (id),
    kind            smallint NOT NULL CHECK (kind BETWEEN 1 AND 6),
    texts           bytea,
    due_time        timestamptz NOT NULL,
    assignee        text NOT NULL DEFAULT '',
    snooze_until    timestamptz,
    -- What a system task is about (a consent, referral, hearing, deadline
    -- or support plan); NULL for a follow-up.
    source_id       uuid,
    created_by      text NOT NULL,
    completed_by    text NOT NULL DEFAULT '',
    complete_time   timestamptz,
    request_id      text,
    version         bigint NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, request_id),
    -- A system task is raised once for what it is about and when it is due,
    -- however many replicas sweep: a hearing moved to another day raises
    -- one task for the new day.
    UNIQUE (kind, source_id, due_time),
    CHECK ((kind = 1) = (source_id IS NULL))
);
CREATE INDEX tasks_open_by_org ON tasks (organization_id, due_time, id) WHERE complete_time IS NULL;
CREATE INDEX tasks_open_by_assignee ON tasks (assignee, due_time, id) WHERE complete_time IS NULL AND assignee <> '';
CREATE INDEX tasks_case ON tasks (case_id);

-- Watchers of an organisation's tasks are woken by a notification naming
-- the organisation; the payload carries no more than that and the task id.
-- +goose StatementBegin
CREATE FUNCTION casebridge_notify_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('casebridge_tasks', NEW.organization_id || ' ' || NEW.id::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION casebridge_notify_task();

-- Per organisation: how many days ahead the scheduler raises tasks
-- (consents about to expire, deadlines, support-plan reviews) and after how
-- many days a pending referral becomes a task.
CREATE TABLE task_settings (
    organization_id        text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    consent_notice_days    integer NOT NULL DEFAULT 14 CHECK (consent_notice_days BETWEEN 1 AND 365),
    referral_pending_days  integer NOT NULL DEFAULT 7 CHECK (referral_pending_days BETWEEN 1 AND 365),
    deadline_notice_days   integer NOT NULL DEFAULT 3 CHECK (deadline_notice_days BETWEEN 1 AND 365),
    review_notice_days     integer NOT NULL DEFAULT 7 CHECK (review_notice_days BETWEEN 1 AND 365)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON tasks, task_settings TO casebridge_app;

-- +goose Down
DROP TABLE task_settings;
DROP TABLE tasks;
DROP FUNCTION casebridge_notify_task();
