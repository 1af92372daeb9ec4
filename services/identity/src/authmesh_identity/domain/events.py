"""Events the identity service publishes, built from the kit's catalogue."""

from authmesh.identity.v1 import identity_pb2
from authmesh_kit.events.catalogue import SIGN_IN_FAILED, USER_CREATED
from authmesh_kit.events.envelope import Actor, Envelope, build_envelope


def user_created(user_id: str, email: str, method: str, actor: Actor | None) -> Envelope:
    # The full address is personal data; the audit trail needs only the domain.
    payload = identity_pb2.UserCreated(
        user_id=user_id, email_domain=email.rpartition("@")[2], method=method
    )
    return build_envelope(USER_CREATED, payload, actor=actor, user_id=user_id)


def sign_in_failed(reason: str, user_id: str, actor: Actor | None) -> Envelope:
    payload = identity_pb2.SignInFailed(reason=reason, user_id=user_id)
    return build_envelope(SIGN_IN_FAILED, payload, actor=actor, user_id=user_id)
