"""The real `better-auth/client` SDK (pinned in tests/compat) against the gateway.

Runs tests/compat/flows.mjs with Node: sign-up, get-session, sign-out, sign-in, and the
wrong-password / duplicate / short-password errors, asserting on the SDK's `{data, error}`.
The same script passes against the Better-Auth reference peer (see tests/compat/README.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from authmesh_kit.testing.pytest_plugin import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.accounts import age_sessions
from tests.conftest import browser, unique_email

pytestmark = pytest.mark.integration

COMPAT_DIR = Path(__file__).resolve().parent.parent / "compat"
LOCKFILE = COMPAT_DIR / "package-lock.json"
NODE_MODULES = COMPAT_DIR / "node_modules"
# Written after a successful `npm ci`: the sha256 of the lockfile it installed.
STAMP = NODE_MODULES / ".authmesh-lock-sha256"
TRUSTED_ORIGIN = "http://localhost:3000"
FLOW_COUNT = 34
NPM_CI_TIMEOUT_S = 300
FLOWS_TIMEOUT_S = 120


def _tools_or_skip() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if not path)
    reason = f"{missing} not on PATH: the better-auth/client compatibility test needs Node 20+"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the CI machine must provide it)")
    pytest.skip(reason)


def _lock_digest() -> str:
    return hashlib.sha256(LOCKFILE.read_bytes()).hexdigest()


def _node_modules_fresh() -> bool:
    return (
        (NODE_MODULES / "better-auth" / "package.json").is_file()
        and STAMP.is_file()
        and STAMP.read_text().strip() == _lock_digest()
    )


def _run(cmd: list[str], log: Path, timeout: float, env: dict[str, str] | None = None) -> int:
    """Run cmd in COMPAT_DIR with stdout+stderr captured to `log`; returns the exit code."""
    with log.open("wb") as out:
        try:
            proc = subprocess.run(
                cmd,
                cwd=COMPAT_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return -1  # subprocess.run has already killed the child
    return proc.returncode


def _tail(log: Path, lines: int = 60) -> str:
    text = log.read_text(errors="replace") if log.exists() else "<no output>"
    return "\n".join(text.splitlines()[-lines:])


def _ensure_node_modules(npm: str, log: Path) -> None:
    if _node_modules_fresh():
        return
    rc = _run([npm, "ci", "--no-audit", "--no-fund"], log, NPM_CI_TIMEOUT_S)
    assert rc == 0, f"npm ci failed (rc={rc}, -1 = timeout {NPM_CI_TIMEOUT_S}s):\n{_tail(log)}"
    STAMP.write_text(_lock_digest() + "\n")


def _random_client_ip() -> str:
    octets = (secrets.randbelow(256), secrets.randbelow(256), 1 + secrets.randbelow(254))
    return "10.{}.{}.{}".format(*octets)


def _run_flows(
    node: str, npm: str, gateway_url: str, secret: str, workdir: Path, extra: dict[str, str]
) -> tuple[int, str]:
    _ensure_node_modules(npm, workdir / "npm-ci.log")
    env = dict(os.environ) | extra
    env.update(
        AUTH_BASE_URL=gateway_url,
        AUTH_ORIGIN=TRUSTED_ORIGIN,
        # A fresh client IP per run: the sign-up/sign-in rate limits (3 per 10 s per IP)
        # must not see other tests' requests, nor a previous run's.
        AUTH_CLIENT_IP=_random_client_ip(),
        # Lets the flows read the session_data cookie with Better-Auth's getCookieCache.
        AUTH_SECRET=secret,
        # The admin flows sign in as the stack's seeded admin.
        AUTH_ADMIN_EMAIL=ADMIN_EMAIL,
        AUTH_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    log = workdir / "flows.log"
    rc = _run([node, "flows.mjs"], log, FLOWS_TIMEOUT_S, env)
    return rc, log.read_text(errors="replace") if log.exists() else ""


async def _stale_session(stack: Any) -> dict[str, str]:
    """A user whose session is older than the fresh age, for the flow that deletes a user by
    the mailed link (the SDK cannot age a session)."""
    email = unique_email()
    async with browser(stack) as http:
        signed_up = await http.post(
            "/api/auth/sign-up/email",
            json={"name": "Stale", "email": email, "password": "correct horse battery"},
        )
        assert signed_up.status_code == 200, signed_up.text
        cookie = http.cookies["better-auth.session_token"]
    await age_sessions(stack, signed_up.json()["user"]["id"])
    return {
        "AUTH_STALE_SESSION": f"better-auth.session_token={cookie}",
        "AUTH_STALE_EMAIL": email,
    }


async def test_better_auth_client_flows(stack: Any, tmp_path: Path) -> None:
    node, npm = _tools_or_skip()
    stale = await _stale_session(stack)
    rc, output = await asyncio.to_thread(
        _run_flows, node, npm, stack.gateway_url, stack.plan.spec.secret, tmp_path, stale
    )
    lines = output.strip().splitlines()
    summary = lines[-1] if lines else ""
    detail = f"rc={rc} (-1 = timeout {FLOWS_TIMEOUT_S}s); output:\n{output[-8000:]}"
    assert rc == 0, detail
    assert summary == f"{FLOW_COUNT} passed, 0 failed", detail
