"""`make bench` (`python -m bench`): Authmesh, and with --peer the Better-Auth peer of
../shared/peers/better-auth side by side on this machine, driven by wrk in one run.

1. Starts Authmesh (bench/servers.py) and, when asked, the peer; measures the machine's argon2id
   bound while both are idle.
2. On each server in turn (the other idle): get-session with the cookie cache (32 connections),
   get-session with `disableCookieCache=true`, password sign-in and sign-up (16 connections);
   a short warm-up before each. Every request comes from its own X-Forwarded-For (bench/load.lua)
   with rate limiting on in both, so that the limits measure the servers, not one client.
3. Reads the CPU time each of Authmesh's processes spends per password sign-in (bench/cpu.py):
   where a sign-in's cost goes besides its hash.
4. Sends Authmesh sign-ins at 100/s and measures each event's way into the audit log
   (bench/audit_latency.py).
5. Grows Authmesh's users and sessions to each size (10k, then 1M, by COPY: bench/growth.py)
   and measures get-session over 500 of the seeded sessions, its cache-miss path, and admin
   list-users as the seeded admin.

The report (requests/s, p50, p99, ratios, budgets) is printed and written to
var/bench/<name>.md, its figures to var/bench/<name>.json; logs go to var/bench/<name>/.
Nothing here is part of `make test`.
"""

import argparse
import dataclasses
import json
import os
import secrets
import shlex
import signal
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench.argon2_bound import measure_argon2_bound
from bench.audit_latency import measure_audit_latency
from bench.check_permission import measure_check_permission, permission_caller
from bench.cpu import CpuPerRequest, measure_cpu, stack_processes
from bench.growth import seed_to
from bench.http import AUTH, post_json, status_of
from bench.report import AUTHMESH, GET_SESSION, PEER, Report
from bench.servers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ROOT,
    Authmesh,
    start_authmesh,
    start_peer,
)
from bench.wrk import Result, Workload, run_wrk

SESSION_CONNECTIONS = 32
PASSWORD_CONNECTIONS = 16
CPU_CONNECTIONS = 4
WARM_UP_S = 3
# All served by indexes; the first one's `total` (every user) by identity's user counts.
GROWTH_LIST_USERS = {
    "list-users": f"{AUTH}/admin/list-users?limit=100",
    "list-users, email starts with": (
        f"{AUTH}/admin/list-users?limit=100&searchField=email&searchOperator=starts_with"
        f"&searchValue={ADMIN_EMAIL.split('@')[0]}"
    ),
    "list-users, role = admin": (
        f"{AUTH}/admin/list-users?limit=100&filterField=role&filterValue=admin"
    ),
}


def measure(base_url: str, workload: Workload, connections: int, duration_s: int) -> Result:
    run_wrk(base_url, workload, connections, WARM_UP_S)
    return run_wrk(base_url, workload, connections, duration_s)


def side_by_side(base_url: str, duration_s: int) -> dict[str, Result]:
    """The four workloads on one server; checks one answer of each kind first."""
    email, password = f"bench-{secrets.token_hex(6)}@example.test", secrets.token_urlsafe(12)
    cookie = "; ".join(
        post_json(
            base_url, f"{AUTH}/sign-up/email", {"name": "B", "email": email, "password": password}
        )
    )
    post_json(base_url, f"{AUTH}/sign-in/email", {"email": email, "password": password})
    get_session = f"{AUTH}/get-session"
    if status_of(base_url, get_session, cookie) != 200:
        raise SystemExit(f"{base_url}: get-session refused the bench's own session")
    cookie_header = (f"Cookie: {cookie}",)
    return {
        GET_SESSION: measure(
            base_url,
            Workload(get_session, ("get",), cookie_header),
            SESSION_CONNECTIONS,
            duration_s,
        ),
        "get-session, disableCookieCache": measure(
            base_url,
            Workload(f"{get_session}?disableCookieCache=true", ("get",), cookie_header),
            SESSION_CONNECTIONS,
            duration_s,
        ),
        "sign-in": measure(
            base_url,
            Workload(f"{AUTH}/sign-in/email", ("sign-in", email, password)),
            PASSWORD_CONNECTIONS,
            duration_s,
        ),
        "sign-up": measure(
            base_url,
            Workload(f"{AUTH}/sign-up/email", ("sign-up", secrets.token_hex(4), password)),
            PASSWORD_CONNECTIONS,
            duration_s,
        ),
    }


def sign_in_cpu(authmesh: Authmesh, duration_s: int) -> CpuPerRequest:
    """At a few connections: the stack busy but not queueing, so that its CPU is the work."""
    email, password = f"cpu-{secrets.token_hex(6)}@example.test", secrets.token_urlsafe(12)
    body = {"name": "C", "email": email, "password": password}
    post_json(authmesh.base_url, f"{AUTH}/sign-up/email", body)
    return measure_cpu(
        authmesh.base_url,
        lambda: stack_processes(authmesh),
        "sign-in",
        Workload(f"{AUTH}/sign-in/email", ("sign-in", email, password)),
        CPU_CONNECTIONS,
        duration_s,
    )


def growth(
    authmesh: Authmesh, sizes: list[int], duration_s: int, work_dir: Path
) -> dict[str, dict[str, Result | str]]:
    admin_cookie = "; ".join(
        post_json(
            authmesh.base_url,
            f"{AUTH}/sign-in/email",
            {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
    )
    results: dict[str, dict[str, Result | str]] = {}
    for size in sizes:
        cookie_file = work_dir / f"cookies-{size}.txt"
        seeded = seed_to(authmesh.database_url, size, authmesh.secret, cookie_file)
        print(f"seeded: {seeded.users} users, {seeded.sessions} sessions", flush=True)
        drawn = ("get-any", str(cookie_file))
        row: dict[str, Result | str] = {
            GET_SESSION: measure(
                authmesh.base_url,
                Workload(f"{AUTH}/get-session", drawn),
                SESSION_CONNECTIONS,
                duration_s,
            ),
            "get-session, disableCookieCache": measure(
                authmesh.base_url,
                Workload(f"{AUTH}/get-session?disableCookieCache=true", drawn),
                SESSION_CONNECTIONS,
                duration_s,
            ),
        }
        for name, path in GROWTH_LIST_USERS.items():
            status = status_of(authmesh.base_url, path, admin_cookie)
            row[name] = (
                measure(
                    authmesh.base_url,
                    Workload(path, ("get",), (f"Cookie: {admin_cookie}",)),
                    PASSWORD_CONNECTIONS,
                    duration_s,
                )
                if status == 200
                else f"HTTP {status}"
            )
        results[f"{seeded.users:,} users, {seeded.sessions:,} sessions"] = row
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--peer",
        action="store_true",
        default=os.environ.get("AUTHMESH_BENCH_PEER", "") not in ("", "0"),
        help="also run the Better-Auth peer (or AUTHMESH_BENCH_PEER=1)",
    )
    parser.add_argument("--name", default=datetime.now(UTC).strftime("%Y%m%d-%H%M%S"))
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument(
        "--sizes",
        default="10000,1000000",
        help="row counts for the data-growth part, comma-separated; empty skips it",
    )
    args = parser.parse_args()
    # A SIGTERM unwinds like Ctrl-C, so that the servers stop and their databases go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = [int(size) for size in args.sizes.split(",") if size]
    out_dir = ROOT / "var" / "bench"
    work_dir = out_dir / args.name
    work_dir.mkdir(parents=True, exist_ok=True)
    callers, bench_key = permission_caller()
    os.environ["AUTHMESH_ORG_PERMISSION_CALLERS"] = callers  # passed to the stack's org service
    with ExitStack() as stack:
        authmesh = start_authmesh(stack, work_dir)
        servers = {AUTHMESH: authmesh.base_url}
        if args.peer:
            servers[PEER] = start_peer(stack, work_dir).base_url
        print("measuring the argon2id bound", flush=True)
        report = Report(
            name=args.name,
            command=shlex.join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
            settings=[
                f"wrk, 2 threads; get-session at {SESSION_CONNECTIONS} connections, sign-in,"
                f" sign-up and list-users at {PASSWORD_CONNECTIONS}; {args.duration} s each"
                f" after a {WARM_UP_S} s warm-up, one server at a time.",
                "Rate limiting on in both servers (Authmesh: Redis; the peer: memory), every"
                " request from its own X-Forwarded-For.",
                "get-session sends the sign-up's cookies (the peer answers from its cookie"
                " cache; Authmesh never trusts it and answers from its revocation-evicted"
                " cache); disableCookieCache=true reads the session store on every request.",
                "sign-in: the same user every time; sign-up: a new address every time.",
            ],
            bound=measure_argon2_bound(),
            load_average=[f"{load:.2f}" for load in os.getloadavg()],
        )
        for server, base_url in servers.items():
            print(f"driving {server}", flush=True)
            for workload, result in side_by_side(base_url, args.duration).items():
                report.side_by_side.setdefault(workload, {})[server] = result
        print("CPU per sign-in, per process", flush=True)
        report.sign_in_cpu = sign_in_cpu(authmesh, args.duration)
        print("audit: event to entry latency at 100 sign-ins/s", flush=True)
        report.audit = measure_audit_latency(
            authmesh.base_url, authmesh.database_url, duration_s=args.duration
        )
        print("org: CheckPermission from cache, 50 concurrent callers", flush=True)
        report.permissions = measure_check_permission(
            authmesh.pid, authmesh.database_url, bench_key, duration_s=args.duration
        )
        if sizes:
            print("data growth", flush=True)
            report.growth = growth(authmesh, sizes, args.duration, work_dir)
        report.load_average += [f"{load:.2f}" for load in os.getloadavg()]
    text = report.markdown()
    (out_dir / f"{args.name}.md").write_text(text)
    (out_dir / f"{args.name}.json").write_text(json.dumps(dataclasses.asdict(report), indent=1))
    print(text)
    print(f"written to {out_dir / f'{args.name}.md'}")


if __name__ == "__main__":
    main()
