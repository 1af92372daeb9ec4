"""`python -m bench.cpu`: CPU time per request, per process, of Authmesh's workloads.

Throughput on a shared machine measures the neighbours as much as the server; the CPU time a
process spends per request does not depend on them (much). This starts Authmesh as
`make bench` does (bench/servers.py), drives each workload with wrk at a few connections, and
reads every process's user + system CPU time (/proc/<pid>/stat, all threads) before and after:
the stack's service processes, its embedded NATS and Redis, and the Postgres backends connected
to its database. The answer is milliseconds of CPU per request for each, and their sum.

    python -m bench.cpu [--duration 10] [--connections 4] [--workloads sign-in,get-session]
"""

import argparse
import asyncio
import os
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench.http import AUTH, post_json, status_of
from bench.servers import ROOT, Authmesh, start_authmesh
from bench.wrk import Workload, run_wrk

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
_SERVICE = re.compile(r"-m\x00authmesh_(\w+)")
# Long: on a busy machine a slow answer is still an answer, and its CPU time is counted.
_TIMEOUT_S = 60


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None  # gone
    # The command name (field 2) is in parentheses and may hold spaces.
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """User + system time of every thread of `pid` so far; 0 for a process that is gone."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S  # utime, stime


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children[int(fields[1])].append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += children.get(pid, [])
    return found


def label(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    if (service := _SERVICE.search(command.decode(errors="replace"))) is not None:
        return "stack supervisor" if service.group(1) == "kit" else service.group(1)
    return Path(command.split(b"\x00")[0].decode(errors="replace")).name or "?"


async def postgres_backends(database_url: str) -> list[int]:
    """The backends serving the stack's database (pools keep them for the whole run)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [row["pid"] for row in rows]


def stack_processes(authmesh: Authmesh) -> list[tuple[int, str]]:
    """The stack's processes and its database's Postgres backends, each with its label."""
    backends = asyncio.run(postgres_backends(authmesh.database_url))
    return [(pid, label(pid)) for pid in descendants(authmesh.pid)] + [
        (pid, "postgres") for pid in backends
    ]


@dataclass(frozen=True)
class CpuPerRequest:
    workload: str
    connections: int
    requests: int
    per_process_ms: dict[str, float]  # label → CPU ms per request

    @property
    def total_ms(self) -> float:
        return sum(self.per_process_ms.values())


def _snapshot(processes: Iterable[tuple[int, str]]) -> dict[tuple[int, str], float]:
    return {process: cpu_seconds(process[0]) for process in processes}


def measure_cpu(
    base_url: str,
    processes: Callable[[], list[tuple[int, str]]],
    name: str,
    workload: Workload,
    connections: int,
    duration_s: int,
) -> CpuPerRequest:
    """`processes` is asked after a warm-up, when the pools have opened their connections."""
    run_wrk(base_url, workload, connections, 2, _TIMEOUT_S)
    watched = processes()
    before = _snapshot(watched)
    result = run_wrk(base_url, workload, connections, duration_s, _TIMEOUT_S)
    after = _snapshot(watched)
    if result.errors:
        raise SystemExit(f"{name}: {result.errors} of {result.requests} requests failed")
    per_label: dict[str, float] = defaultdict(float)
    for process, seconds in after.items():
        per_label[process[1]] += max(seconds - before[process], 0.0)
    return CpuPerRequest(
        name,
        connections,
        result.requests,
        {key: value * 1000 / result.requests for key, value in sorted(per_label.items())},
    )


def markdown(results: list[CpuPerRequest]) -> str:
    labels = sorted({key for result in results for key in result.per_process_ms})
    lines = [
        "| process | " + " | ".join(result.workload for result in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for key in labels:
        cells = [f"{result.per_process_ms.get(key, 0.0):.2f}" for result in results]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines.append("| **total** | " + " | ".join(f"{r.total_ms:.2f}" for r in results) + " |")
    lines.append("| requests | " + " | ".join(str(r.requests) for r in results) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per workload")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--workloads",
        default="sign-in,get-session,get-session-uncached,sign-up",
        help="comma-separated, from: sign-in, get-session, get-session-uncached, sign-up",
    )
    parser.add_argument("--name", default=datetime.now(UTC).strftime("cpu-%Y%m%d-%H%M%S"))
    args = parser.parse_args()
    out_dir = ROOT / "var" / "bench"
    work_dir = out_dir / args.name
    work_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        authmesh = start_authmesh(stack, work_dir)
        base_url = authmesh.base_url
        email, password = f"cpu-{secrets.token_hex(6)}@example.test", secrets.token_urlsafe(12)
        body = {"name": "C", "email": email, "password": password}
        cookie = "; ".join(post_json(base_url, f"{AUTH}/sign-up/email", body))
        if status_of(base_url, f"{AUTH}/get-session", cookie) != 200:
            raise SystemExit("get-session refused the session just signed up")
        workloads = {
            "sign-in": Workload(f"{AUTH}/sign-in/email", ("sign-in", email, password)),
            "get-session": Workload(f"{AUTH}/get-session", ("get",), (f"Cookie: {cookie}",)),
            "get-session-uncached": Workload(
                f"{AUTH}/get-session?disableCookieCache=true", ("get",), (f"Cookie: {cookie}",)
            ),
            "sign-up": Workload(
                f"{AUTH}/sign-up/email", ("sign-up", secrets.token_hex(4), password)
            ),
        }

        results = []
        for name in args.workloads.split(","):
            print(f"measuring {name}", flush=True)
            results.append(
                measure_cpu(
                    base_url,
                    lambda: stack_processes(authmesh),
                    name,
                    workloads[name],
                    args.connections,
                    args.duration,
                )
            )
    text = (
        f"# CPU ms per request, per process ({args.name})\n\n"
        f"wrk, {args.connections} connections, {args.duration} s per workload after 2 s of"
        f" warm-up; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}.\n\n"
        + markdown(results)
    )
    (out_dir / f"{args.name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
