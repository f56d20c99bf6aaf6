-- +goose Up
-- What needs a supervisor's approval in an organisation (its org admin
-- sets it): a support plan before it takes effect, a case before it closes.
ALTER TABLE organizations
    ADD COLUMN support_plan_approval boolean NOT NULL DEFAULT false,
    ADD COLUMN closure_approval boolean NOT NULL DEFAULT false;

-- A case's support plan. Free text (summary) is sealed in texts under the
-- case key, care class (vault.SupportPlanTexts); status and dates are
-- plain. review_date is when the plan is to be reviewed: the scheduler
-- makes "support-plan review due" tasks from it.
-- status: 1 draft, 2 awaiting approval, 3 active, 4 completed, 5 cancelled.
CREATE TABLE support_plans (
    id            uuid PRIMARY KEY,
    case_id       uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    status        smallint NOT NULL,
    review_date   date,
    texts         bytea,
    created_by    text NOT NULL,
    request_id    uuid,
    version       bigint NOT NULL DEFAULT 1,
    create_time   timestamptz NOT NULL DEFAULT now(),
    update_time   timestamptz NOT NULL DEFAULT now(),
    activate_time timestamptz,
    UNIQUE (case_id, request_id)
);
CREATE INDEX support_plans_case ON support_plans (case_id, create_time DESC);
-- At most one plan in progress (draft, awaiting approval, active) per case.
CREATE UNIQUE INDEX support_plans_in_progress ON support_plans (case_id) WHERE status IN (1, 2, 3);
CREATE INDEX support_plans_review ON support_plans (review_date) WHERE status = 3 AND review_date IS NOT NULL;

-- status: 1 open, 2 achieved, 3 partly achieved, 4 not achieved, 5 cancelled.
CREATE TABLE support_plan_objectives (
    id          uuid PRIMARY KEY,
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    plan_id     uuid NOT NULL REFERENCES support_plans (id) ON DELETE CASCADE,
    case_id     uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    status      smallint NOT NULL,
    target_date date,
    texts       bytea,
    request_id  uuid,
    version     bigint NOT NULL DEFAULT 1,
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now(),
    UNIQUE (plan_id, request_id)
);
CREATE INDEX support_plan_objectives_plan ON support_plan_objectives (plan_id, seq);

-- status: 1 planned, 2 in progress, 3 done, 4 cancelled.
CREATE TABLE support_plan_actions (
    id           uuid PRIMARY KEY,
    seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    objective_id uuid NOT NULL REFERENCES support_plan_objectives (id) ON DELETE CASCADE,
    plan_id      uuid NOT NULL REFERENCES support_plans (id) ON DELETE CASCADE,
    case_id      uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    status       smallint NOT NULL,
    planned_date date,
    actual_date  date,
    texts        bytea,
    request_id   uuid,
    version      bigint NOT NULL DEFAULT 1,
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (objective_id, request_id)
);
CREATE INDEX support_plan_actions_plan ON support_plan_actions (plan_id, seq);

-- Services planned for and delivered to the person: kind as in referrals
-- (ServiceKind), provider 1 in-house or 2 by a referral of the case.
-- status: 1 planned, 2 in progress, 3 delivered, 4 cancelled.
-- delivered_date is plain: the indicators count services delivered and
-- the days from intake to delivery.
CREATE TABLE case_services (
    id             uuid PRIMARY KEY,
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    case_id        uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind           smallint NOT NULL,
    status         smallint NOT NULL,
    provider       smallint NOT NULL,
    referral_id    uuid REFERENCES referrals (id),
    planned_date   date,
    delivered_date date,
    texts          bytea,
    created_by     text NOT NULL,
    request_id     uuid,
    version        bigint NOT NULL DEFAULT 1,
    create_time    timestamptz NOT NULL DEFAULT now(),
    update_time    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, request_id),
    CHECK ((provider = 2) = (referral_id IS NOT NULL))
);
CREATE INDEX case_services_case ON case_services (case_id, seq);
CREATE INDEX case_services_delivered ON case_services (delivered_date) WHERE status = 3;

-- A request for a supervisor's approval: subject 1 support plan, 2 case
-- closure; status 1 pending, 2 approved, 3 rejected, 4 used (an approved
-- closure a closure of the case used). The comments are sealed in texts,
-- care class (vault.ApprovalTexts).
CREATE TABLE approvals (
    id              uuid PRIMARY KEY,
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    case_id         uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    organization_id text NOT NULL REFERENCES organizations (id),
    subject         smallint NOT NULL,
    plan_id         uuid REFERENCES support_plans (id) ON DELETE CASCADE,
    status          smallint NOT NULL,
    requested_by    text NOT NULL,
    decided_by      text NOT NULL DEFAULT '',
    texts           bytea,
    request_id      uuid,
    version         bigint NOT NULL DEFAULT 1,
    request_time    timestamptz NOT NULL DEFAULT now(),
    decide_time     timestamptz,
    use_time        timestamptz,
    UNIQUE (case_id, request_id),
    CHECK ((subject = 1) = (plan_id IS NOT NULL))
);
CREATE INDEX approvals_case ON approvals (case_id, seq DESC);
CREATE INDEX approvals_pending ON approvals (organization_id, seq DESC) WHERE status = 1;
-- One request at a time per case and subject.
CREATE UNIQUE INDEX approvals_one_pending ON approvals (case_id, subject) WHERE status = 1;

GRANT SELECT, INSERT, UPDATE, DELETE ON support_plans, support_plan_objectives, support_plan_actions,
    case_services, approvals TO casebridge_app;

-- +goose Down
DROP TABLE approvals;
DROP TABLE case_services;
DROP TABLE support_plan_actions;
DROP TABLE support_plan_objectives;
DROP TABLE support_plans;
ALTER TABLE organizations DROP COLUMN closure_approval, DROP COLUMN support_plan_approval;
