"""The storage risk's use cases need (store/history.py implements it on Postgres, store/
counters.py the counters on Redis)."""

from typing import Protocol

from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import Message
from authmesh_risk.domain.model import Assessment, AssessmentPage, Counts, Profile, SignInPlace


class History(Protocol):
    async def profile(self, user_id: str, device_hash: bytes, country: str) -> Profile: ...

    async def record(
        self,
        assessment: Assessment,
        event: Envelope,
        *,
        learn: SignInPlace | None,
        notice: Message | None,
    ) -> None:
        """The assessment, its event and the optional notice, all or nothing; `learn` (an
        allowed sign-in) makes its device and country known and its place the last."""
        ...

    async def page(self, user_id: str, limit: int, cursor: str) -> AssessmentPage: ...


class Counters(Protocol):
    async def read(self, *, now_ms: int, user_id: str, ip: str, network: str) -> Counts: ...

    async def clear_user(self, user_id: str) -> None: ...
