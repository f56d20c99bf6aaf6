// Package authz decides what an authenticated caller may do.
//
// Authentication (internal/authn) says who is calling: a token subject and
// nothing else. Roles are deliberately not in the token: they live in the
// memberships table, so that removing a member or a role takes effect within
// seconds rather than when a token expires. This package joins the two:
//
//   - roles.go names the roles and says which are network roles
//     (coordinator, auditor, network_admin): those count only in a
//     coordinating body ([EffectiveRoles]) and are granted only by a network
//     admin ([GrantObject]); the organisation roles are an org admin's to grant.
//   - [Members] resolves a subject's memberships (organisation -> roles) from
//     PostgreSQL, through a per-subject cache that a LISTEN on the
//     casebridge_memberships channel invalidates on every replica, with a short
//     TTL as a safety net whenever that channel might be missing notifications.
//   - [Engine] holds the policy (policies/: a Casbin model, the permissions of
//     each role and the method table) and answers whether a role held in an
//     organisation allows an object/action. It reloads the policy files when
//     they change and keeps the old policy when the new one is broken.
//   - [Engine.CaseAccess] is the one place that decides whether a caller may
//     see a case at all (own organisation, or a case shared with their
//     organisation by an accepted referral), which data classes they may read
//     there, and whether their role allows the operation. A case the caller
//     cannot see is [ErrNotFound], never [ErrPermissionDenied]: the existence
//     of a case is itself sensitive.
//   - [Interceptors] enforce, for every RPC, that the method is in the method
//     table (fail closed) and that the caller holds its permission in at least
//     one organisation, and put the resolved [Principal] in the context for
//     the handler's organisation- and case-level checks.
package authz
