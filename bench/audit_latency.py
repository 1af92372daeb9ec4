"""Event to audit entry latency under sign-in load (DESIGN §6: p99 under 1 s at 100 sign-ins/s).

A set of users is signed up first; then sign-ins are sent at a fixed rate (open loop: one every
1/rate s whatever the answers, each from its own X-Forwarded-For so that per-IP limits measure
nothing) for the duration. Every audit entry of the sign-ins' events that was recorded in that
window gives `recorded_at - occurred_at`: the time from the producing service's commit, through
its outbox relay, JetStream and the audit consumer, to the entry's place in the chain. The
entries are read from the audit schema afterwards, so reading adds nothing to what is measured.
"""

import asyncio
import secrets
import time
from collections import Counter
from dataclasses import dataclass

import asyncpg
import httpx
import nats

from authmesh.session.v1 import session_pb2
from authmesh_kit.events.catalogue import SESSION_CREATED
from authmesh_kit.events.envelope import build_envelope
from authmesh_kit.events.names import event_subject
from authmesh_kit.ids import new_id
from bench.http import AUTH
from bench.servers import ORIGIN

USERS = 20
PASSWORD = "bench-audit-password"  # noqa: S105 - throwaway users of a throwaway stack
_ANSWER_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class AuditLatency:
    target_per_s: float
    sent_per_s: float  # sign-ins sent per second
    signed_in: int  # of them answered 200
    answered_otherwise: int
    otherwise: dict[str, int]  # those answers by status (or exception), for the report
    entries: int  # audit entries of events from the window
    p50_ms: float
    p99_ms: float
    max_ms: float
    missing: int  # sessions made whose session.created never reached audit

    def describe(self) -> str:
        verdict = "met" if self.p99_ms < 1000 and self.missing == 0 else "NOT met"
        return (
            f"{self.sent_per_s:.0f} sign-ins/s sent ({self.signed_in} signed in,"
            f" {self.answered_otherwise} answered otherwise: {self.otherwise}),"
            f" {self.entries} entries: event to"
            f" entry p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, max {self.max_ms:.0f} ms,"
            f" {self.missing} sessions missing (budget p99 < 1 s, none lost: {verdict})"
        )


def _client_ip() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


async def _post(http: httpx.AsyncClient, path: str, body: dict[str, str]) -> httpx.Response:
    headers = {"origin": ORIGIN, "x-forwarded-for": _client_ip()}
    return await http.post(path, json=body, headers=headers, timeout=_ANSWER_TIMEOUT_S)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def _drive(base_url: str, database_url: str, rate: float, duration_s: float) -> AuditLatency:
    run = secrets.token_hex(4)
    emails = [f"audit-{run}-{n}@example.test" for n in range(USERS)]
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base_url, limits=limits) as http:
        user_ids = []
        for email in emails:
            response = await _post(
                http, f"{AUTH}/sign-up/email", {"name": "A", "email": email, "password": PASSWORD}
            )
            response.raise_for_status()
            user_ids.append(response.json()["user"]["id"])
        started = time.time()
        tasks = []
        interval = 1 / rate
        count = int(rate * duration_s)
        for n in range(count):
            # Open loop: the schedule, not the answers, sets the pace.
            await asyncio.sleep(max(0.0, started + n * interval - time.time()))
            body = {"email": emails[n % USERS], "password": PASSWORD}
            tasks.append(asyncio.create_task(_post(http, f"{AUTH}/sign-in/email", body)))
        sent_for = time.time() - started
        answers = await asyncio.gather(*tasks, return_exceptions=True)
    ok = sum(1 for a in answers if isinstance(a, httpx.Response) and a.status_code == 200)
    # A 200 with a token made a session; a challenged one (twoFactorRedirect) did not.
    sessions_made = sum(
        1
        for a in answers
        if isinstance(a, httpx.Response) and a.status_code == 200 and a.json().get("token")
    )
    await asyncio.sleep(5)  # the last events' way into audit
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT extract(epoch FROM recorded_at - occurred_at) * 1000 AS ms, type"
            " FROM audit.entries WHERE user_id = ANY($1::text[])"
            " AND occurred_at >= to_timestamp($2)",
            user_ids,
            started,
        )
    finally:
        await conn.close()
    latencies = [float(row["ms"]) for row in rows]
    sessions = sum(1 for row in rows if row["type"] == "auth.session.session.created.v1")
    return AuditLatency(
        target_per_s=rate,
        sent_per_s=count / sent_for if sent_for else 0.0,
        signed_in=ok,
        answered_otherwise=len(answers) - ok,
        otherwise=dict(
            Counter(
                str(a.status_code) if isinstance(a, httpx.Response) else type(a).__name__
                for a in answers
                if not (isinstance(a, httpx.Response) and a.status_code == 200)
            )
        ),
        entries=len(rows),
        p50_ms=_percentile(latencies, 0.5),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=max(latencies, default=0.0),
        missing=max(0, sessions_made - sessions),
    )


def measure_audit_latency(
    base_url: str, database_url: str, rate: float = 100.0, duration_s: float = 20.0
) -> AuditLatency:
    return asyncio.run(_drive(base_url, database_url, rate, duration_s))


@dataclass(frozen=True)
class AuditThroughput:
    """Events published straight to JetStream at a fixed rate, as the services' relays would:
    audit's own capacity, whatever the machine's password hashing allows."""

    events_per_s: float
    published: int
    recorded: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def describe(self) -> str:
        lost = self.published - self.recorded
        return (
            f"{self.events_per_s:.0f} events/s published for audit alone: {self.recorded} of"
            f" {self.published} recorded, event to entry p50 {self.p50_ms:.0f} ms, p99"
            f" {self.p99_ms:.0f} ms, max {self.max_ms:.0f} ms ({lost} missing)"
        )


async def _publish(
    nats_url: str, namespace: str, database_url: str, rate: float, duration_s: float
) -> AuditThroughput:
    user_id, count = new_id(), int(rate * duration_s)
    subject = event_subject(namespace, SESSION_CREATED.type)
    client = await nats.connect(nats_url)
    started = time.time()
    try:
        js = client.jetstream()
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.time()))
            payload = session_pb2.SessionCreated(session_id=new_id(), user_id=user_id)
            envelope = build_envelope(SESSION_CREATED, payload, user_id=user_id)
            await js.publish(
                subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
            )
    finally:
        await client.close()
    published_for = time.time() - started
    await asyncio.sleep(5)
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT extract(epoch FROM recorded_at - occurred_at) * 1000 AS ms"
            " FROM audit.entries WHERE user_id = $1",
            user_id,
        )
    finally:
        await conn.close()
    latencies = [float(row["ms"]) for row in rows]
    return AuditThroughput(
        events_per_s=count / published_for if published_for else 0.0,
        published=count,
        recorded=len(rows),
        p50_ms=_percentile(latencies, 0.5),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=max(latencies, default=0.0),
    )


def measure_audit_throughput(
    nats_url: str, namespace: str, database_url: str, rate: float = 300.0, duration_s: float = 20.0
) -> AuditThroughput:
    return asyncio.run(_publish(nats_url, namespace, database_url, rate, duration_s))


if __name__ == "__main__":  # a quick run against a stack started elsewhere
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("database_url", help="a URL that may read the audit schema")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--nats-url", help="with --namespace: publish events to audit directly")
    parser.add_argument("--namespace", default="")
    args = parser.parse_args()
    print(
        measure_audit_latency(args.base_url, args.database_url, args.rate, args.duration).describe()
    )
    if args.nats_url:
        print(
            measure_audit_throughput(
                args.nats_url, args.namespace, args.database_url, 3 * args.rate, args.duration
            ).describe()
        )
