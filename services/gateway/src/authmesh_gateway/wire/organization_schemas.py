"""The zod schemas of the organization plugin's endpoints (better-auth 1.7.25
`plugins/organization/routes/*.ts`, endpoints.json), as field specs for wire/validation.py.

Authmesh caps text fields Better-Auth leaves unbounded, with zod's own "Too big" message. Server-
only fields (`userId` on create, `email` on list-user-invitations) pass zod as in Better-Auth and
are refused or ignored by the routes.
"""

from authmesh_gateway.wire.schemas import MAX_EMAIL, MAX_NAME, MAX_URL, WHERE_OPERATORS
from authmesh_gateway.wire.validation import BodySchema, Field, UnionMember

MAX_SLUG = 256
# A resource name, action or role name in a permission statement or custom role.
MAX_ROLE = 256

ROLES: tuple[UnionMember, ...] = ("string", "strings")

CREATE_ORGANIZATION = BodySchema(
    (
        Field("name", "string", min_length=1, max_length=MAX_NAME),
        Field("slug", "string", min_length=1, max_length=MAX_SLUG),
        Field("userId", "any", required=False),
        Field("logo", "string", required=False, nullable=True, max_length=MAX_URL),
        Field("metadata", "record", required=False),
        Field("keepCurrentActiveOrganization", "boolean", required=False),
    )
)

CHECK_SLUG = BodySchema((Field("slug", "string", max_length=MAX_SLUG),))

UPDATE_ORGANIZATION = BodySchema(
    (Field("data", "record"), Field("organizationId", "string", required=False))
)

# `data` of update, checked with source "body.data" so that its issues read `[body.data.name]`.
UPDATE_ORGANIZATION_DATA = BodySchema(
    (
        Field("name", "string", required=False, min_length=1, max_length=MAX_NAME),
        Field("slug", "string", required=False, min_length=1, max_length=MAX_SLUG),
        Field("logo", "string", required=False, nullable=True, max_length=MAX_URL),
        Field("metadata", "record", required=False),
    )
)

ORGANIZATION_ID = BodySchema((Field("organizationId", "string"),))

# organizationId: z.string().nullable().optional()
SET_ACTIVE_ORGANIZATION = BodySchema(
    (
        Field("organizationId", "string", required=False, nullable=True),
        Field("organizationSlug", "string", required=False),
    )
)

ORGANIZATION_QUERY = BodySchema(
    (
        Field("organizationId", "string", required=False),
        Field("organizationSlug", "string", required=False),
    ),
    optional=True,
)

FULL_ORGANIZATION_QUERY = BodySchema(
    (
        Field("organizationId", "string", required=False),
        Field("organizationSlug", "string", required=False),
        Field("membersLimit", "union", required=False, accepts=("string", "number")),
    ),
    optional=True,
)

ORGANIZATION_ID_QUERY = BodySchema(
    (Field("organizationId", "string", required=False),), optional=True
)

# has-permission: `z.object({organizationId?}).and(z.xor([{permission}, {permissions}]))`;
# the route checks the xor (routes/organization.py).
# `teamId` is Authmesh's: the check then uses the caller's team-scoped role in that team.
HAS_PERMISSION = BodySchema(
    (
        Field("organizationId", "string", required=False),
        Field("teamId", "string", required=False),
    )
)

INVITE_MEMBER = BodySchema(
    (
        Field("email", "string", max_length=MAX_EMAIL),
        Field("role", "union", accepts=ROLES),
        Field("organizationId", "string", required=False),
        Field("resend", "boolean", required=False),
        Field("teamId", "union", required=False, accepts=ROLES),
    )
)

INVITATION_ID = BodySchema((Field("invitationId", "string"),))

GET_INVITATION_QUERY = BodySchema((Field("id", "string"),))

LIST_USER_INVITATIONS_QUERY = BodySchema((Field("email", "string", required=False),), optional=True)

LIST_MEMBERS_QUERY = BodySchema(
    (
        Field("limit", "union", required=False, accepts=("string", "number")),
        Field("offset", "union", required=False, accepts=("string", "number")),
        Field("sortBy", "string", required=False),
        Field("sortDirection", "string", required=False, choices=("asc", "desc")),
        Field("filterField", "string", required=False),
        Field(
            "filterValue",
            "union",
            required=False,
            accepts=("string", "number", "boolean", "strings", "numbers"),
        ),
        Field("filterOperator", "string", required=False, choices=WHERE_OPERATORS),
        Field("organizationId", "string", required=False),
        Field("organizationSlug", "string", required=False),
    ),
    optional=True,
)

UPDATE_MEMBER_ROLE = BodySchema(
    (
        Field("role", "union", accepts=ROLES),
        Field("memberId", "string"),
        Field("organizationId", "string", required=False),
    )
)

REMOVE_MEMBER = BodySchema(
    (
        Field("memberIdOrEmail", "string"),
        Field("organizationId", "string", required=False),
    )
)

ACTIVE_MEMBER_ROLE_QUERY = BodySchema(
    (
        Field("userId", "string", required=False),
        Field("organizationId", "string", required=False),
        Field("organizationSlug", "string", required=False),
    ),
    optional=True,
)

CREATE_TEAM = BodySchema(
    (
        Field("name", "string", max_length=MAX_NAME),
        Field("organizationId", "string", required=False),
    )
)

UPDATE_TEAM = BodySchema((Field("teamId", "string"), Field("data", "record")))

UPDATE_TEAM_DATA = BodySchema(
    (
        Field("name", "string", required=False, min_length=1, max_length=MAX_NAME),
        Field("organizationId", "string", required=False),
    )
)

REMOVE_TEAM = BodySchema(
    (Field("teamId", "string"), Field("organizationId", "string", required=False))
)

SET_ACTIVE_TEAM = BodySchema((Field("teamId", "string", required=False, nullable=True),))

LIST_USER_TEAMS_QUERY = BodySchema(
    (
        Field("userId", "string", required=False),
        Field("organizationId", "string", required=False),
    ),
    optional=True,
)

LIST_TEAM_MEMBERS_QUERY = BodySchema((Field("teamId", "string", required=False),), optional=True)

TEAM_MEMBER = BodySchema(
    (
        Field("teamId", "string"),
        Field("userId", "string"),
        Field("organizationId", "string", required=False),
    )
)

# Authmesh extra: team-scoped roles (org.proto SetTeamMemberRole); an empty list clears them.
SET_TEAM_MEMBER_ROLE = BodySchema(
    (
        Field("teamId", "string"),
        Field("userId", "string"),
        Field("role", "union", accepts=ROLES),
        Field("organizationId", "string", required=False),
    )
)

# Dynamic access control (better-auth 1.7.25 `routes/crud-access-control.ts`).
CREATE_ROLE = BodySchema(
    (
        Field("organizationId", "string", required=False),
        Field("role", "string", max_length=MAX_ROLE),
        Field("permission", "record"),
    )
)

UPDATE_ROLE = BodySchema(
    (
        Field("organizationId", "string", required=False),
        Field("data", "record"),
        Field("roleName", "string", required=False),
        Field("roleId", "string", required=False),
    )
)

UPDATE_ROLE_DATA = BodySchema(
    (
        Field("permission", "record", required=False),
        Field("roleName", "string", required=False, max_length=MAX_ROLE),
    )
)

DELETE_ROLE = BodySchema(
    (
        Field("organizationId", "string", required=False),
        Field("roleName", "string", required=False),
        Field("roleId", "string", required=False),
    )
)

ROLE_QUERY = BodySchema(
    (
        Field("organizationId", "string", required=False),
        Field("roleName", "string", required=False),
        Field("roleId", "string", required=False),
    ),
    optional=True,
)
