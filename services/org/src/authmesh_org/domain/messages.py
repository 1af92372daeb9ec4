"""The notify message an invitation sends (type `organization-invitation`, fields of
shared/better-auth/test-outbox.md and of notify's templates). It carries the invitation id,
the secret of the accept link: sealed by the outbox, written with the invitation's row."""

from authmesh_kit.events.notifications import EMAIL, Message, build_message
from authmesh_org.domain.model import Invitation, Organization

ORGANIZATION_INVITATION = "organization-invitation"


def invitation(
    invitation: Invitation,
    organization: Organization,
    *,
    url: str,
    inviter_name: str,
    inviter_email: str,
) -> Message:
    fields = {
        "invitationId": invitation.id,
        "token": invitation.id,
        "organizationId": organization.id,
        "organizationName": organization.name,
        "role": invitation.role,
        "inviterEmail": inviter_email,
        "url": url,
    }
    if inviter_name:
        fields["inviterName"] = inviter_name
    return build_message(
        ORGANIZATION_INVITATION,
        channel=EMAIL,
        to=invitation.email,
        expires_at=invitation.expires_at,
        fields=fields,
    )
