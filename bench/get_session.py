"""Side-by-side get-session benchmark: Authmesh's gateway against the Better-Auth peer.

Starts Authmesh with `python -m authmesh_kit.stack up` (its own database on the local Postgres,
the local NATS and Redis) and, unless --no-peer, a copy of ../shared/peers/better-auth on the
same machine; signs one user up on each; then drives `GET /api/auth/get-session` with wrk
(32 connections, each request from its own X-Forwarded-For) and prints requests/s, p50, p99
and the ratio, measured in one run. Writes the report to var/bench/get-session.md.
The peer keeps its rate limiting on unless RATE_LIMIT=0 is in the environment.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER_SOURCE = ROOT.parent / "shared" / "peers" / "better-auth"
LUA = Path(__file__).with_name("xff.lua")
ORIGIN = "http://localhost:3000"


@dataclass(frozen=True)
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float


def wait_ok(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout_s} s")


def sign_up(base_url: str) -> str:
    """Signs a fresh user up and returns the session cookie header."""
    email = f"bench-{uuid.uuid4().hex[:10]}@example.test"
    body = f'{{"name":"Bench","email":"{email}","password":"bench-password-123"}}'.encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base_url}/api/auth/sign-up/email",
        data=body,
        method="POST",
        headers={
            "content-type": "application/json",
            "origin": ORIGIN,
            "x-forwarded-for": "10.255.0.1",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        cookies = [
            value.split(";")[0]
            for key, value in response.getheaders()
            if key.lower() == "set-cookie"
        ]
    return "; ".join(cookies)


def check_session(url: str, cookie: str) -> None:
    """wrk cannot look at bodies: make sure the cookie really yields a session first."""
    request = urllib.request.Request(url, headers={"cookie": cookie})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        if response.read(1) != b"{":
            raise SystemExit(f"{url}: the benchmark cookie gives no session")


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise SystemExit(f"unexpected wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, cookie: str, connections: int, duration_s: int) -> Result:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--latency",
        "-s",
        str(LUA),
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} error answers\n{output}")
    return Result(rps, p50, p99)


def start_authmesh(stack: ExitStack, port: int, log: Path) -> str:
    database = f"authmesh_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", "-h", "127.0.0.1", database], check=True)  # noqa: S603, S607
    stack.callback(subprocess.run, ["dropdb", "-h", "127.0.0.1", "--force", database])
    env = dict(
        os.environ,
        AUTHMESH_DATABASE_URL=f"postgresql://root@127.0.0.1:5432/{database}",
        AUTHMESH_NATS_URL=os.environ.get("AUTHMESH_NATS_URL", "nats://127.0.0.1:4222"),
        AUTHMESH_REDIS_URL=os.environ.get("AUTHMESH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        AUTHMESH_GATEWAY_PORT=str(port),
        AUTHMESH_TRUSTED_ORIGINS=ORIGIN,
        AUTHMESH_TRUSTED_PROXIES="127.0.0.1,::1",
        AUTHMESH_LOG_LEVEL="warning",
        AUTHMESH_SECRET=uuid.uuid4().hex * 2,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "authmesh_kit.stack", "up"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.callback(_stop, process)
    base_url = f"http://127.0.0.1:{port}"
    wait_ok(f"{base_url}/api/auth/ok", 120)
    return base_url


def start_peer(stack: ExitStack, port: int, log: Path) -> str:
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    peer = workdir / "better-auth"
    shutil.copytree(PEER_SOURCE, peer, ignore=shutil.ignore_patterns("node_modules"))
    env = dict(
        os.environ,
        PORT=str(port),
        BA_PEER_DB=f"ba_bench_{uuid.uuid4().hex[:8]}",
        FRESH_DB="1",
        TRUSTED_ORIGINS=ORIGIN,
    )
    process = subprocess.Popen(
        ["./start.sh"],
        cwd=peer,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.callback(subprocess.run, ["dropdb", "-h", "127.0.0.1", "--if-exists", env["BA_PEER_DB"]])
    stack.callback(_stop, process)
    base_url = f"http://127.0.0.1:{port}"
    wait_ok(f"{base_url}/api/auth/ok", 300)
    return base_url


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=15)
    args = parser.parse_args()
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, Result] = {}
    with ExitStack() as stack:
        targets = {"authmesh": start_authmesh(stack, 18000, out_dir / "authmesh.log")}
        if not args.no_peer:
            targets["better-auth peer"] = start_peer(stack, 13100, out_dir / "peer.log")
        for name, base_url in targets.items():
            cookie = sign_up(base_url)
            url = f"{base_url}/api/auth/get-session"
            check_session(url, cookie)
            run_wrk(url, cookie, args.connections, 3)  # warm-up
            rows[name] = run_wrk(url, cookie, args.connections, args.duration)
    lines = [
        f"# get-session, {args.connections} connections, {args.duration} s, one run",
        "",
        "| server | requests/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
        *(
            f"| {name} | {r.requests_per_s:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} |"
            for name, r in rows.items()
        ),
    ]
    if "better-auth peer" in rows:
        ours, peer = rows["authmesh"], rows["better-auth peer"]
        lines += [
            "",
            f"ratio authmesh / peer: {ours.requests_per_s / peer.requests_per_s:.2f}x "
            f"requests/s, p99 {ours.p99_ms / peer.p99_ms:.2f}x",
        ]
    report = "\n".join(lines) + "\n"
    (out_dir / "get-session.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
