"""The two servers under test, each started on this machine in its own process group and
stopped (with its database dropped) when the benchmark's ExitStack closes.

Authmesh runs as `make up` runs it (`python -m authmesh_kit.stack up`), on a database of its own
on the local PostgreSQL, with NATS and Redis embedded unless AUTHMESH_NATS_URL /
AUTHMESH_REDIS_URL are set. The peer is ../shared/peers/better-auth, copied under
var/bench/peer (its node_modules kept there between runs), on a database of its own on the
same PostgreSQL. Both keep their rate limiting on.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from authmesh_kit.stack.backing import quote_ident, with_database
from authmesh_kit.stack.plan import free_ports

ROOT = Path(__file__).resolve().parents[1]
PEER_SOURCE = ROOT.parent / "shared" / "peers" / "better-auth"
ORIGIN = "http://localhost:3000"  # trusted by both servers; sent as Origin by every POST
ADMIN_EMAIL = "admin@bench.test"
ADMIN_PASSWORD = "bench-admin-password"  # noqa: S105 - a throwaway stack's seeded admin
ADMIN_DATABASE_URL = os.environ.get(
    "AUTHMESH_BENCH_DATABASE_URL", "postgresql://root@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True)
class Authmesh:
    base_url: str
    database_url: str  # privileged, for seeding
    secret: str  # signs session cookies
    pid: int  # `python -m authmesh_kit.stack up`, the parent of every service process


@dataclass(frozen=True)
class Peer:
    base_url: str
    database_url: str


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


def _psql(database_url: str, sql: str) -> None:
    subprocess.run(["psql", "-qX", "-v", "ON_ERROR_STOP=1", database_url, "-c", sql], check=True)  # noqa: S603, S607


def _fresh_database(stack: ExitStack, prefix: str) -> str:
    """A new database on the local PostgreSQL, dropped (with its roles) at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _psql(ADMIN_DATABASE_URL, f"CREATE DATABASE {quote_ident(name)}")
    stack.callback(_drop_database, name)
    return with_database(ADMIN_DATABASE_URL, name)


def _drop_database(name: str) -> None:
    _psql(ADMIN_DATABASE_URL, f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    # Authmesh's bootstrap names its roles after the database (its namespace).
    roles = subprocess.run(  # noqa: S603
        ["psql", "-qXAt", ADMIN_DATABASE_URL, "-c", "SELECT rolname FROM pg_roles"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for role in roles:
        if role.startswith(name + "_"):
            _psql(ADMIN_DATABASE_URL, f"DROP ROLE IF EXISTS {quote_ident(role)}")


def _spawn(
    stack: ExitStack, argv: list[str], env: dict[str, str], cwd: Path, log: Path
) -> "subprocess.Popen[bytes]":
    process = subprocess.Popen(  # noqa: S603
        argv,
        env=env,
        cwd=cwd,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.callback(_stop, process)
    return process


def _stop(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is not None:
        return  # it stopped by itself (failed to start): its group went with it
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_authmesh(stack: ExitStack, work_dir: Path) -> Authmesh:
    database_url = _fresh_database(stack, "authmesh_bench")
    mail_port = free_ports(1)[0]
    secret = uuid.uuid4().hex * 2
    # The backends allowed to call org's CheckPermission: bench/check_permission.py's key.
    passed_through = ("AUTHMESH_NATS_URL", "AUTHMESH_REDIS_URL", "AUTHMESH_ORG_PERMISSION_CALLERS")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTHMESH_")}
    env |= {key: os.environ[key] for key in passed_through if key in os.environ}
    env |= {
        "AUTHMESH_DATABASE_URL": database_url,
        "AUTHMESH_GATEWAY_PORT": "0",  # any free port, which the stack prints
        "AUTHMESH_MAIL_CATCHER_PORT": str(mail_port),
        "AUTHMESH_TRUSTED_ORIGINS": ORIGIN,
        "AUTHMESH_TRUSTED_PROXIES": "127.0.0.1,::1",
        "AUTHMESH_ADMIN_EMAIL": ADMIN_EMAIL,
        "AUTHMESH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "AUTHMESH_LOG_LEVEL": "warning",
        "AUTHMESH_SECRET": secret,
    }
    data_dir = work_dir / "authmesh"
    argv = [sys.executable, "-m", "authmesh_kit.stack", "up", f"--data-dir={data_dir}"]
    log = work_dir / "authmesh.log"
    process = _spawn(stack, argv, env, ROOT, log)
    deadline = time.monotonic() + 180
    while (up := re.search(r"Authmesh is up: http://localhost:(\d+)", log.read_text())) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"Authmesh did not start: see {log}")
        time.sleep(0.3)
    return Authmesh(f"http://127.0.0.1:{up.group(1)}", database_url, secret, process.pid)


def start_peer(stack: ExitStack, work_dir: Path) -> Peer:
    peer_dir = ROOT / "var" / "bench" / "peer"
    # Fresh sources each run; node_modules (git-ignored) stay, so npm ci runs once.
    shutil.copytree(
        PEER_SOURCE, peer_dir, ignore=shutil.ignore_patterns("node_modules"), dirs_exist_ok=True
    )
    database_url = _fresh_database(stack, "ba_bench")
    port = free_ports(1)[0]
    env = dict(
        os.environ,
        PORT=str(port),
        DATABASE_URL=database_url,
        TRUSTED_ORIGINS=ORIGIN,
        ADMIN_EMAIL=ADMIN_EMAIL,
        ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    log = work_dir / "peer.log"
    process = _spawn(stack, ["./start.sh"], env, peer_dir, log)
    base_url = f"http://127.0.0.1:{port}"
    wait_ok(f"{base_url}/__test/health", 600)  # the peer's own route, unlike Authmesh's
    if process.poll() is not None:
        raise SystemExit(f"the peer did not start: see {log}")
    return Peer(base_url, database_url)
