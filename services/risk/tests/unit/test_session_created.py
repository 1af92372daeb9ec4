"""session.created (events/handlers.py): a sign-in risk allowed was learnt by Assess itself, so
only the network's sign-in count is left; any other session is learnt here."""

from typing import Any, cast

import pytest

from authmesh.events.v1 import envelope_pb2
from authmesh.session.v1 import session_pb2
from authmesh_kit.events.catalogue import SESSION_CREATED
from authmesh_kit.events.envelope import Envelope, build_envelope
from authmesh_risk.domain.geo import AddressKind, Place
from authmesh_risk.events.handlers import SessionCreatedHandler

LONDON = Place(AddressKind.PUBLIC, "81.2.69.142", "81.2.69.0/24", "GB", 51.5073, -0.1276)


class Recorder:
    """Stands in for the connection, the counters and the locator, noting what each is asked."""

    def __init__(self) -> None:
        self.statements: list[dict[str, object]] = []
        self.sign_ins: list[str] = []

    async def execute(self, statement: object, parameters: dict[str, object]) -> None:
        self.statements.append(parameters)

    async def add_sign_in(self, *, event_id: str, at_ms: int, network: str) -> None:
        self.sign_ins.append(network)

    def locate(self, raw_ip: str) -> Place:
        return LONDON


def session_created(risk: session_pb2.RiskOutcome | None) -> Envelope:
    return build_envelope(
        SESSION_CREATED,
        session_pb2.SessionCreated(session_id="s1", user_id="u1", method="email", risk=risk),
        actor=envelope_pb2.Actor(ip=LONDON.ip, user_agent="curl/8.0"),
        user_id="u1",
    )


async def handle(envelope: Envelope) -> Recorder:
    recorder = Recorder()
    handler = SessionCreatedHandler(cast(Any, recorder), cast(Any, recorder))
    await handler(cast(Any, recorder), envelope)
    return recorder


async def test_an_allowed_sign_in_is_only_counted() -> None:
    recorder = await handle(session_created(session_pb2.RiskOutcome(decision="allow")))
    assert recorder.statements == []
    assert recorder.sign_ins == [LONDON.network]


@pytest.mark.parametrize(
    "risk",
    [
        session_pb2.RiskOutcome(decision="challenge"),
        session_pb2.RiskOutcome(decision="unavailable"),
        None,  # a session without a risk step: a rotation after a password change
    ],
)
async def test_other_sessions_are_learnt_and_counted(
    risk: session_pb2.RiskOutcome | None,
) -> None:
    recorder = await handle(session_created(risk))
    [learnt] = recorder.statements
    assert (learnt["learn_user_id"], learnt["learn_family"], learnt["learn_country"]) == (
        "u1",
        "curl",
        "GB",
    )
    assert recorder.sign_ins == [LONDON.network]
