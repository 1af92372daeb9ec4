"""CheckPermission from the org service's cache, 50 concurrent callers (issue 6: a check costs
under 1 ms at p99 from cache).

Organizations are seeded straight into the org schema (members with owner, admin, member and a
custom role each; a team whose members hold team-scoped roles). A backend ("bench", its key in
AUTHMESH_ORG_PERMISSION_CALLERS as an operator would register one) then calls CheckPermission
from 50 concurrent callers in one process, each for random member / permission / team triples,
after a warm-up that asks about every member once (filling the cache); a few answers are
checked first against what the roles grant. Reported: calls/s, the callers' p50/p99 (the gRPC
round trip and the queueing of 50 calls in flight on this machine included), and the
servicer's own p50/p99 — the cost of a check — from the org service's histogram
`authmesh_org_check_permission_seconds` (read from its metrics endpoint before and after; its
bucket bounds are the resolution).
"""

import asyncio
import random  # noqa: TID251 - a reproducible workload per caller, no secret
import re
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc

from authmesh.org.v1 import org_pb2, org_pb2_grpc
from authmesh_kit.grpc.service_auth import ServiceTokenIssuer, generate_key_pair

CALLER = "bench"
CALLERS = 50
ORGANIZATIONS = 20
MEMBERS = 100  # per organization
_HISTOGRAM = "authmesh_org_check_permission_seconds_bucket"
_CHECKS = (
    {"organization": ["delete"]},
    {"member": ["update"]},
    {"invitation": ["create", "cancel"]},
    {"ac": ["read"]},
    {"team": ["create"], "member": ["delete"]},
    {"project": ["read"]},
)


def permission_caller() -> tuple[str, str]:
    """(AUTHMESH_ORG_PERMISSION_CALLERS for the stack, the bench's private key)."""
    private, public = generate_key_pair()
    return f"{CALLER}:{public}", private


@dataclass(frozen=True)
class PermissionLatency:
    calls: int
    calls_per_s: float
    errors: int
    p50_ms: float
    p99_ms: float
    server_p50_ms: float  # bucket upper bounds of the servicer's histogram
    server_p99_ms: float

    def describe(self) -> str:
        verdict = "met" if self.server_p99_ms <= 1.0 and self.errors == 0 else "NOT met"
        return (
            f"{self.calls_per_s:.0f} calls/s from {CALLERS} concurrent callers ({self.calls}"
            f" calls, {self.errors} errors): callers see p50 {self.p50_ms:.2f} ms, p99"
            f" {self.p99_ms:.2f} ms; in the servicer p50 ≤ {self.server_p50_ms:g} ms, p99 ≤"
            f" {self.server_p99_ms:g} ms (budget p99 < 1 ms from cache: {verdict})"
        )


def _org_process_env(stack_pid: int) -> dict[str, str]:
    """The listen address and metrics port of the stack's org service, from its process."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes().split(b"\0")
            if parent != stack_pid or b"authmesh_org" not in command:
                continue
            variables = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        wanted = (b"AUTHMESH_GRPC_LISTEN=", b"AUTHMESH_METRICS_PORT=")
        return {
            name.decode(): value.decode()
            for name, _, value in (v.partition(b"=") for v in variables if v.startswith(wanted))
        }
    raise SystemExit("bench: the org service's process was not found")


async def _seed(database_url: str) -> list[tuple[str, str, str]]:
    """The seeded organizations: (organization id, team id, user id) of every member."""
    run = f"bench-{time.time_ns():x}"
    conn = await asyncpg.connect(database_url)
    try:
        for statement in _SEED:
            await conn.execute(statement.format(orgs=ORGANIZATIONS, members=MEMBERS), run)
    finally:
        await conn.close()
    return [
        (f"{run}-o{o}", f"{run}-t{o}", f"{run}-u{o}-{m}")
        for o in range(1, ORGANIZATIONS + 1)
        for m in range(1, MEMBERS + 1)
    ]


_SEED = (
    "INSERT INTO org.organizations (id, name, slug)"
    " SELECT $1::text || '-o' || o, 'Bench ' || o, $1 || '-' || o"
    " FROM generate_series(1, {orgs}) AS o",
    "INSERT INTO org.roles (id, organization_id, role, permission)"
    " SELECT $1::text || '-r' || o, $1 || '-o' || o, 'auditor',"
    """ '{{"member": ["update"], "ac": ["read"]}}' FROM generate_series(1, {orgs}) AS o""",
    "INSERT INTO org.teams (id, organization_id, name)"
    " SELECT $1::text || '-t' || o, $1 || '-o' || o, 'Bench'"
    " FROM generate_series(1, {orgs}) AS o",
    "INSERT INTO org.members (id, organization_id, user_id, role)"
    " SELECT $1::text || '-m' || o || '-' || m, $1 || '-o' || o, $1 || '-u' || o || '-' || m,"
    " (ARRAY['owner', 'admin', 'member', 'member,auditor'])[m % 4 + 1]"
    " FROM generate_series(1, {orgs}) AS o, generate_series(1, {members}) AS m",
    "INSERT INTO org.team_members (id, team_id, organization_id, user_id, role)"
    " SELECT $1::text || '-tm' || o || '-' || m, $1 || '-t' || o, $1 || '-o' || o,"
    " $1 || '-u' || o || '-' || m, CASE WHEN m % 3 = 0 THEN 'admin' END"
    " FROM generate_series(1, {orgs}) AS o, generate_series(1, {members}, 2) AS m",
)


def _histogram(metrics_port: str) -> dict[float, float]:
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    buckets = {}
    for match in re.finditer(rf'^{_HISTOGRAM}{{le="([^"]+)"}} (\S+)$', text, re.MULTILINE):
        buckets[float(match.group(1))] = float(match.group(2))
    return buckets


def _bucket_percentile(
    before: dict[float, float], after: dict[float, float], share: float
) -> float:
    """The upper bound, in ms, of the bucket holding the `share` quantile of the calls between
    the two readings."""
    bounds = sorted(after)
    total = after[bounds[-1]] - before.get(bounds[-1], 0.0)
    for bound in bounds:
        if total and after[bound] - before.get(bound, 0.0) >= share * total:
            return bound * 1000
    return float("inf")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _request(member: tuple[str, str, str], rng: random.Random) -> org_pb2.CheckPermissionRequest:
    organization_id, team_id, user_id = member
    request = org_pb2.CheckPermissionRequest(
        user_id=user_id,
        organization_id=organization_id,
        permissions={
            resource: org_pb2.PermissionActions(actions=actions)
            for resource, actions in rng.choice(_CHECKS).items()
        },
    )
    if rng.random() < 0.3:
        request.team_id = team_id
    return request


@dataclass(frozen=True)
class _Run:
    latencies: list[float]  # seconds, one per answered call
    errors: int
    elapsed_s: float
    before: dict[float, float]  # the servicer's histogram buckets before and after
    after: dict[float, float]


async def _drive(
    address: str,
    metrics_port: str,
    private_key: str,
    members: list[tuple[str, str, str]],
    duration_s: float,
) -> _Run:
    issuer = ServiceTokenIssuer(CALLER, private_key)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = org_pb2_grpc.OrgServiceStub(channel)

        async def call(request: org_pb2.CheckPermissionRequest) -> org_pb2.CheckPermissionResponse:
            metadata = (("authorization", f"Bearer {issuer.token_for('org')}"),)
            answer: org_pb2.CheckPermissionResponse = await stub.CheckPermission(
                request, metadata=metadata, timeout=5
            )
            return answer

        owner = members[3]  # m = 4: owner
        plain = members[1]  # m = 2: member
        delete = {"organization": org_pb2.PermissionActions(actions=["delete"])}
        for member, expected in ((owner, True), (plain, False)):
            request = org_pb2.CheckPermissionRequest(
                user_id=member[2], organization_id=member[0], permissions=delete
            )
            if (await call(request)).allowed != expected:
                raise SystemExit("bench: CheckPermission answered against the seeded roles")

        latencies: list[float] = []
        errors = 0

        async def caller(seed: int, until: float, record: bool) -> None:
            nonlocal errors
            rng = random.Random(seed)  # noqa: S311 - a workload, not a secret
            while time.perf_counter() < until:
                request = _request(rng.choice(members), rng)
                started = time.perf_counter()
                try:
                    await call(request)
                except grpc.aio.AioRpcError:
                    errors += record
                    continue
                if record:
                    latencies.append(time.perf_counter() - started)

        # The warm-up asks about every member, with and without their team, so that what is
        # measured is the cache (misses are the database's cost, not the check's).
        warm_up = iter([(member, team) for member in members for team in (False, True)])

        async def warmer() -> None:
            for member, team in warm_up:
                organization_id, team_id, user_id = member
                request = org_pb2.CheckPermissionRequest(
                    user_id=user_id, organization_id=organization_id, permissions=delete
                )
                if team:
                    request.team_id = team_id
                await call(request)

        await asyncio.gather(*(warmer() for _ in range(CALLERS)))
        before = await asyncio.to_thread(_histogram, metrics_port)
        started = time.perf_counter()
        until = started + duration_s
        await asyncio.gather(*(caller(CALLERS + n, until, True) for n in range(CALLERS)))
        elapsed = time.perf_counter() - started
        after = await asyncio.to_thread(_histogram, metrics_port)
        return _Run(latencies, errors, elapsed, before, after)


def measure_check_permission(
    stack_pid: int, database_url: str, private_key: str, duration_s: float
) -> PermissionLatency:
    """Against the stack started by `python -m authmesh_kit.stack up` as `stack_pid`, whose org
    service accepts the bench's key (`permission_caller`)."""
    env = _org_process_env(stack_pid)
    members = asyncio.run(_seed(database_url))
    run = asyncio.run(
        _drive(
            env["AUTHMESH_GRPC_LISTEN"],
            env["AUTHMESH_METRICS_PORT"],
            private_key,
            members,
            duration_s,
        )
    )
    latencies = run.latencies
    return PermissionLatency(
        calls=len(latencies),
        calls_per_s=len(latencies) / run.elapsed_s if run.elapsed_s else 0.0,
        errors=run.errors,
        p50_ms=_percentile(latencies, 0.5) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        server_p50_ms=_bucket_percentile(run.before, run.after, 0.5),
        server_p99_ms=_bucket_percentile(run.before, run.after, 0.99),
    )
