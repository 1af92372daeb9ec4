"""The catalogue of every event type and its payload message (DESIGN §3).

A changed payload is a new type with the next version; types are never reused.
"""

from dataclasses import dataclass

from google.protobuf.message import Message

from authmesh.gateway.v1 import events_pb2 as gateway_pb2
from authmesh.identity.v1 import admin_pb2, identity_pb2, passwordless_pb2
from authmesh.mfa.v1 import mfa_pb2, passkey_pb2
from authmesh.org.v1 import org_pb2
from authmesh.risk.v1 import risk_pb2
from authmesh.session.v1 import session_pb2


@dataclass(frozen=True)
class EventType:
    name: str  # auth.<service>.<entity>.<verb>, past tense
    version: int
    payload: type[Message]

    @property
    def type(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def producer(self) -> str:
        return self.name.split(".")[1]


USER_CREATED = EventType("auth.identity.user.created", 1, identity_pb2.UserCreated)
SIGN_IN_FAILED = EventType("auth.identity.sign_in.failed", 1, identity_pb2.SignInFailed)
USER_UPDATED = EventType("auth.identity.user.updated", 1, identity_pb2.UserUpdated)
EMAIL_VERIFICATION_REQUESTED = EventType(
    "auth.identity.email_verification.requested", 1, identity_pb2.EmailVerificationRequested
)
EMAIL_VERIFIED = EventType(
    "auth.identity.email_verification.verified", 1, identity_pb2.EmailVerified
)
PASSWORD_RESET_REQUESTED = EventType(
    "auth.identity.password_reset.requested", 1, identity_pb2.PasswordResetRequested
)
PASSWORD_RESET_COMPLETED = EventType(
    "auth.identity.password_reset.completed", 1, identity_pb2.PasswordResetCompleted
)
PASSWORD_CHANGED = EventType("auth.identity.password.changed", 1, identity_pb2.PasswordChanged)
EMAIL_CHANGE_REQUESTED = EventType(
    "auth.identity.email_change.requested", 1, identity_pb2.EmailChangeRequested
)
EMAIL_CHANGED = EventType("auth.identity.email.changed", 1, identity_pb2.EmailChanged)
USER_DELETION_REQUESTED = EventType(
    "auth.identity.user_deletion.requested", 1, identity_pb2.UserDeletionRequested
)
USER_DELETED = EventType("auth.identity.user.deleted", 1, identity_pb2.UserDeleted)
PHONE_CODE_REQUESTED = EventType(
    "auth.identity.phone_code.requested", 1, identity_pb2.PhoneCodeRequested
)
PHONE_CODE_FAILED = EventType("auth.identity.phone_code.failed", 1, identity_pb2.PhoneCodeFailed)
PHONE_NUMBER_VERIFIED = EventType(
    "auth.identity.phone_number.verified", 1, identity_pb2.PhoneNumberVerified
)
EMAIL_CODE_REQUESTED = EventType(
    "auth.identity.email_code.requested", 1, passwordless_pb2.EmailCodeRequested
)
EMAIL_CODE_FAILED = EventType(
    "auth.identity.email_code.failed", 1, passwordless_pb2.EmailCodeFailed
)
MAGIC_LINK_REQUESTED = EventType(
    "auth.identity.magic_link.requested", 1, passwordless_pb2.MagicLinkRequested
)
USER_BANNED = EventType("auth.identity.user.banned", 1, admin_pb2.UserBanned)
USER_UNBANNED = EventType("auth.identity.user.unbanned", 1, admin_pb2.UserUnbanned)
PASSKEY_REGISTERED = EventType("auth.mfa.passkey.registered", 1, passkey_pb2.PasskeyRegistered)
PASSKEY_RENAMED = EventType("auth.mfa.passkey.renamed", 1, passkey_pb2.PasskeyRenamed)
PASSKEY_DELETED = EventType("auth.mfa.passkey.deleted", 1, passkey_pb2.PasskeyDeleted)
PASSKEY_VERIFIED = EventType("auth.mfa.passkey.verified", 1, passkey_pb2.PasskeyVerified)
PASSKEY_REJECTED = EventType("auth.mfa.passkey.rejected", 1, passkey_pb2.PasskeyRejected)
# A signature counter that did not move forward: the key may have been copied.
PASSKEY_CLONE_SUSPECTED = EventType(
    "auth.mfa.passkey.clone_suspected", 1, passkey_pb2.PasskeyCloneSuspected
)
TWO_FACTOR_ENROLLED = EventType("auth.mfa.two_factor.enrolled", 1, mfa_pb2.TwoFactorEnrolled)
TWO_FACTOR_DISABLED = EventType("auth.mfa.two_factor.disabled", 1, mfa_pb2.TwoFactorDisabled)
TWO_FACTOR_VERIFIED = EventType("auth.mfa.two_factor.verified", 1, mfa_pb2.TwoFactorVerified)
TWO_FACTOR_FAILED = EventType("auth.mfa.two_factor.failed", 1, mfa_pb2.TwoFactorFailed)
TWO_FACTOR_LOCKED = EventType("auth.mfa.two_factor.locked", 1, mfa_pb2.TwoFactorLocked)
BACKUP_CODES_GENERATED = EventType(
    "auth.mfa.backup_codes.generated", 1, mfa_pb2.BackupCodesGenerated
)
TRUSTED_DEVICES_REVOKED = EventType(
    "auth.mfa.trusted_devices.revoked", 1, mfa_pb2.TrustedDevicesRevoked
)
SESSION_CREATED = EventType("auth.session.session.created", 1, session_pb2.SessionCreated)
SESSION_REVOKED = EventType("auth.session.session.revoked", 1, session_pb2.SessionRevoked)
# A session's active organization or team changed: gateways evict their cached answer.
SESSION_UPDATED = EventType("auth.session.session.updated", 1, session_pb2.SessionUpdated)
IMPERSONATION_STARTED = EventType(
    "auth.session.impersonation.started", 1, session_pb2.ImpersonationStarted
)
# A sign-in was scored: the decision and every factor, so that audit shows why.
RISK_ASSESSMENT_RECORDED = EventType(
    "auth.risk.assessment.recorded", 1, risk_pb2.AssessmentRecorded
)
RISK_FAILURES_CLEARED = EventType("auth.risk.failures.cleared", 1, risk_pb2.FailuresCleared)
# Organizations (auth.org.*): the envelope's subject names the organization.
ORGANIZATION_CREATED = EventType("auth.org.organization.created", 1, org_pb2.OrganizationCreated)
ORGANIZATION_UPDATED = EventType("auth.org.organization.updated", 1, org_pb2.OrganizationUpdated)
ORGANIZATION_DELETED = EventType("auth.org.organization.deleted", 1, org_pb2.OrganizationDeleted)
MEMBER_ADDED = EventType("auth.org.member.added", 1, org_pb2.MemberAdded)
MEMBER_ROLE_UPDATED = EventType("auth.org.member.role_updated", 1, org_pb2.MemberRoleUpdated)
MEMBER_REMOVED = EventType("auth.org.member.removed", 1, org_pb2.MemberRemoved)
INVITATION_CREATED = EventType("auth.org.invitation.created", 1, org_pb2.InvitationCreated)
INVITATION_ACCEPTED = EventType("auth.org.invitation.accepted", 1, org_pb2.InvitationAccepted)
INVITATION_REJECTED = EventType("auth.org.invitation.rejected", 1, org_pb2.InvitationRejected)
INVITATION_CANCELED = EventType("auth.org.invitation.canceled", 1, org_pb2.InvitationCanceled)
TEAM_CREATED = EventType("auth.org.team.created", 1, org_pb2.TeamCreated)
TEAM_UPDATED = EventType("auth.org.team.updated", 1, org_pb2.TeamUpdated)
TEAM_DELETED = EventType("auth.org.team.deleted", 1, org_pb2.TeamDeleted)
TEAM_MEMBER_ADDED = EventType("auth.org.team.member_added", 1, org_pb2.TeamMemberAdded)
TEAM_MEMBER_REMOVED = EventType("auth.org.team.member_removed", 1, org_pb2.TeamMemberRemoved)
TEAM_MEMBER_ROLE_UPDATED = EventType(
    "auth.org.team.member_role_updated", 1, org_pb2.TeamMemberRoleUpdated
)
ROLE_CREATED = EventType("auth.org.role.created", 1, org_pb2.RoleCreated)
ROLE_UPDATED = EventType("auth.org.role.updated", 1, org_pb2.RoleUpdated)
ROLE_DELETED = EventType("auth.org.role.deleted", 1, org_pb2.RoleDeleted)
# The gateway refused a request itself (429, 403, 400): published straight to JetStream.
REQUEST_REFUSED = EventType("auth.gateway.request.refused", 1, gateway_pb2.RequestRefused)

CATALOGUE: dict[str, EventType] = {
    event.type: event
    for event in (
        USER_CREATED,
        SIGN_IN_FAILED,
        USER_UPDATED,
        EMAIL_VERIFICATION_REQUESTED,
        EMAIL_VERIFIED,
        PASSWORD_RESET_REQUESTED,
        PASSWORD_RESET_COMPLETED,
        PASSWORD_CHANGED,
        EMAIL_CHANGE_REQUESTED,
        EMAIL_CHANGED,
        USER_DELETION_REQUESTED,
        USER_DELETED,
        PHONE_CODE_REQUESTED,
        PHONE_CODE_FAILED,
        PHONE_NUMBER_VERIFIED,
        EMAIL_CODE_REQUESTED,
        EMAIL_CODE_FAILED,
        MAGIC_LINK_REQUESTED,
        USER_BANNED,
        USER_UNBANNED,
        PASSKEY_REGISTERED,
        PASSKEY_RENAMED,
        PASSKEY_DELETED,
        PASSKEY_VERIFIED,
        PASSKEY_REJECTED,
        PASSKEY_CLONE_SUSPECTED,
        TWO_FACTOR_ENROLLED,
        TWO_FACTOR_DISABLED,
        TWO_FACTOR_VERIFIED,
        TWO_FACTOR_FAILED,
        TWO_FACTOR_LOCKED,
        BACKUP_CODES_GENERATED,
        TRUSTED_DEVICES_REVOKED,
        SESSION_CREATED,
        SESSION_REVOKED,
        SESSION_UPDATED,
        IMPERSONATION_STARTED,
        RISK_ASSESSMENT_RECORDED,
        RISK_FAILURES_CLEARED,
        ORGANIZATION_CREATED,
        ORGANIZATION_UPDATED,
        ORGANIZATION_DELETED,
        MEMBER_ADDED,
        MEMBER_ROLE_UPDATED,
        MEMBER_REMOVED,
        INVITATION_CREATED,
        INVITATION_ACCEPTED,
        INVITATION_REJECTED,
        INVITATION_CANCELED,
        TEAM_CREATED,
        TEAM_UPDATED,
        TEAM_DELETED,
        TEAM_MEMBER_ADDED,
        TEAM_MEMBER_REMOVED,
        TEAM_MEMBER_ROLE_UPDATED,
        ROLE_CREATED,
        ROLE_UPDATED,
        ROLE_DELETED,
        REQUEST_REFUSED,
    )
}
