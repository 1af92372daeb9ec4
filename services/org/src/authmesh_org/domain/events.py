"""Events of organizations (auth.org.*), built from the kit's catalogue. Each names the
organization in the envelope's subject ids (and the user it is about, else the actor), so that
audit indexes it and every org replica's permission cache drops that organization's entries.
None carries a secret: an invitation's id (its accept link) stays out of the envelope's subject."""

from google.protobuf.message import Message

from authmesh_kit.events.catalogue import EventType
from authmesh_kit.events.envelope import Actor, Envelope, build_envelope


def org_event(
    event: EventType,
    payload: Message,
    *,
    organization_id: str,
    actor: Actor | None,
    user_id: str = "",
) -> Envelope:
    subject_user = user_id or (actor.user_id if actor is not None else "")
    return build_envelope(
        event, payload, actor=actor, user_id=subject_user, organization_id=organization_id
    )
