"""The org service's error reasons (domain `org`): Better-Auth's organization error codes and
messages (ORGANIZATION_ERROR_CODES), so the gateway maps them 1:1 to its HTTP answers.

An id the actor may not see (another organization's) answers exactly as an unknown one: the
`*_not_found` reasons below are the only answers to both.
"""

from authmesh_kit.errors import DomainError, ErrorKind

DOMAIN = "org"

_MESSAGES = {
    "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION": (
        "You are not allowed to create a new organization"
    ),
    "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS": (
        "You have reached the maximum number of organizations"
    ),
    "ORGANIZATION_ALREADY_EXISTS": "Organization already exists",
    "ORGANIZATION_SLUG_ALREADY_TAKEN": "Organization slug already taken",
    "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": "User is not a member of the organization",
    "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION": (
        "You are not allowed to update this organization"
    ),
    "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION": (
        "You are not allowed to delete this organization"
    ),
    "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION": (
        "User is already a member of this organization"
    ),
    "MEMBER_NOT_FOUND": "Member not found",
    "ROLE_NOT_FOUND": "Role not found",
    "TEAM_ALREADY_EXISTS": "Team already exists",
    "TEAM_NOT_FOUND": "Team not found",
    "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER": (
        "You cannot leave the organization as the only owner"
    ),
    "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER": (
        "You cannot leave the organization without an owner"
    ),
    "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER": "You are not allowed to delete this member",
    "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION": (
        "You are not allowed to invite users to this organization"
    ),
    "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION": "User is already invited to this organization",
    "INVITATION_NOT_FOUND": "Invitation not found",
    "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION": "You are not the recipient of the invitation",
    "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION": (
        "Email verification required before accepting or rejecting invitation"
    ),
    "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION": (
        "Email verification required to view or list invitations for the session email"
    ),
    "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION": (
        "You are not allowed to cancel this invitation"
    ),
    "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE": (
        "You are not allowed to invite a user with this role"
    ),
    "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS": "You have reached the maximum number of teams",
    "UNABLE_TO_REMOVE_LAST_TEAM": "Unable to remove last team",
    "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER": "You are not allowed to update this member",
    "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED": "Organization membership limit reached",
    "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION": (
        "You are not allowed to create teams in this organization"
    ),
    "YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION": (
        "You are not allowed to delete teams in this organization"
    ),
    "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM": "You are not allowed to update this team",
    "INVITATION_LIMIT_REACHED": "Invitation limit reached",
    "TEAM_MEMBER_LIMIT_REACHED": "Team member limit reached",
    "USER_IS_NOT_A_MEMBER_OF_THE_TEAM": "User is not a member of the team",
    "YOU_CAN_NOT_ACCESS_THE_MEMBERS_OF_THIS_TEAM": (
        "You are not allowed to list the members of this team"
    ),
    "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER": "You are not allowed to create a new member",
    "YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER": "You are not allowed to remove a team member",
    "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE": "You are not allowed to create a role",
    "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE": "You are not allowed to update a role",
    "YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE": "You are not allowed to delete a role",
    "YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE": "You are not allowed to list a role",
    "YOU_ARE_NOT_ALLOWED_TO_GET_A_ROLE": "You are not allowed to get a role",
    "TOO_MANY_ROLES": "This organization has too many roles",
    "INVALID_RESOURCE": "The provided permission includes an invalid resource",
    "ROLE_NAME_IS_ALREADY_TAKEN": "That role name is already taken",
    "CANNOT_DELETE_A_PRE_DEFINED_ROLE": "Cannot delete a pre-defined role",
    "ROLE_IS_ASSIGNED_TO_MEMBERS": (
        "Cannot delete a role that is assigned to members. Please reassign the members to a "
        "different role first"
    ),
}

# Authmesh's own reasons for input Better-Auth has no code for.
INVALID_ORGANIZATION = "INVALID_ORGANIZATION"
INVALID_MEMBER_QUERY = "INVALID_MEMBER_QUERY"
INVALID_ROLE_NAME = "INVALID_ROLE_NAME"
INVALID_TEAM_NAME = "INVALID_TEAM_NAME"
INVALID_EMAIL = "INVALID_EMAIL"

_KINDS = {
    "ORGANIZATION_ALREADY_EXISTS": ErrorKind.ALREADY_EXISTS,
    "ORGANIZATION_SLUG_ALREADY_TAKEN": ErrorKind.ALREADY_EXISTS,
    "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION": ErrorKind.ALREADY_EXISTS,
    "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION": ErrorKind.ALREADY_EXISTS,
    "TEAM_ALREADY_EXISTS": ErrorKind.ALREADY_EXISTS,
    "ROLE_NAME_IS_ALREADY_TAKEN": ErrorKind.ALREADY_EXISTS,
    "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": ErrorKind.NOT_FOUND,
    "MEMBER_NOT_FOUND": ErrorKind.NOT_FOUND,
    "ROLE_NOT_FOUND": ErrorKind.NOT_FOUND,
    "TEAM_NOT_FOUND": ErrorKind.NOT_FOUND,
    "INVITATION_NOT_FOUND": ErrorKind.NOT_FOUND,
    "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS": ErrorKind.RESOURCE_EXHAUSTED,
    "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS": ErrorKind.RESOURCE_EXHAUSTED,
    "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED": ErrorKind.RESOURCE_EXHAUSTED,
    "INVITATION_LIMIT_REACHED": ErrorKind.RESOURCE_EXHAUSTED,
    "TEAM_MEMBER_LIMIT_REACHED": ErrorKind.RESOURCE_EXHAUSTED,
    "TOO_MANY_ROLES": ErrorKind.RESOURCE_EXHAUSTED,
    "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER": ErrorKind.FAILED_PRECONDITION,
    "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER": ErrorKind.FAILED_PRECONDITION,
    "UNABLE_TO_REMOVE_LAST_TEAM": ErrorKind.FAILED_PRECONDITION,
    "ROLE_IS_ASSIGNED_TO_MEMBERS": ErrorKind.FAILED_PRECONDITION,
    "CANNOT_DELETE_A_PRE_DEFINED_ROLE": ErrorKind.FAILED_PRECONDITION,
    "USER_IS_NOT_A_MEMBER_OF_THE_TEAM": ErrorKind.FAILED_PRECONDITION,
    "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION": (
        ErrorKind.FAILED_PRECONDITION
    ),
    "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION": ErrorKind.FAILED_PRECONDITION,
    "INVALID_RESOURCE": ErrorKind.INVALID_ARGUMENT,
}


def org_error(reason: str) -> DomainError:
    """Better-Auth's code `reason` with its message; a refusal unless listed otherwise."""
    kind = _KINDS.get(reason, ErrorKind.PERMISSION_DENIED)
    return DomainError(kind, reason, DOMAIN, _MESSAGES[reason])


def invalid(reason: str, message: str) -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, reason, DOMAIN, message)


def not_a_member() -> DomainError:
    """The one answer to an organization the actor is not in, or that does not exist."""
    return org_error("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")


def target_not_a_member() -> DomainError:
    """The user an actor names (to add to a team, to list the teams of) is not a member: a
    precondition, distinct from the actor's own membership."""
    return DomainError(
        ErrorKind.FAILED_PRECONDITION,
        "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
        DOMAIN,
        _MESSAGES["USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"],
    )
