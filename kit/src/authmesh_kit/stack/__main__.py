"""`python -m authmesh_kit.stack up`: the whole platform on this machine (what `make up` runs).

Backing services: `AUTHMESH_DATABASE_URL` (privileged), `AUTHMESH_NATS_URL` (admin) and
`AUTHMESH_REDIS_URL` are used as given; each one missing is started embedded from pip packages
with its data under `./var` (git-ignored). Embedded NATS gets one user per service that may
publish only that service's events. With an external NATS URL, per-service users cannot be
configured from here: every process then gets that URL as given, with its permissions.

Other settings: `AUTHMESH_GATEWAY_PORT` (8000), `AUTHMESH_BASE_URL` (http://localhost:<port>),
`AUTHMESH_SECRET` (else a random one kept in `./var/secret`) or `AUTHMESH_SECRETS`,
`AUTHMESH_TRUSTED_ORIGINS`, `AUTHMESH_TRUSTED_PROXIES`, `AUTHMESH_ADMIN_EMAIL` /
`AUTHMESH_ADMIN_PASSWORD`, `AUTHMESH_MODE` (development, test or production),
`AUTHMESH_NAMESPACE`, `AUTHMESH_LOG_LEVEL`.

Every other `AUTHMESH_` variable (password policy, SMTP, SMS, rate limits...) reaches every
service as given; each reads its own. Without `AUTHMESH_SMTP_HOST`, a mail catcher runs
and notify sends to it; its page is at http://localhost:8025 (`AUTHMESH_MAIL_CATCHER_PORT`).
Ctrl-C or SIGTERM stops every process, the gateway first.
"""

import argparse
import asyncio
import os
import signal
from collections.abc import Mapping
from pathlib import Path

from authmesh_kit.settings import Mode
from authmesh_kit.stack.backing import local_backing
from authmesh_kit.stack.plan import (
    StackSpec,
    load_or_create_encryption_keys,
    load_or_create_secret,
)
from authmesh_kit.stack.supervisor import Stack, StackError

# Read by the stack itself, or privileged: the plan hands each to the processes that need it.
# Every other AUTHMESH_ variable is an operator setting and reaches every service as given.
STACK_SETTINGS = frozenset(
    {
        "AUTHMESH_DATABASE_URL",  # privileged; only bootstrap uses it
        "AUTHMESH_NATS_URL",  # admin credentials; each process gets its own user
        "AUTHMESH_REDIS_URL",
        "AUTHMESH_SECRET",
        "AUTHMESH_SECRETS",
        "AUTHMESH_ENCRYPTION_KEYS",
        "AUTHMESH_ADMIN_EMAIL",
        "AUTHMESH_ADMIN_PASSWORD",
        "AUTHMESH_MAIL_CATCHER_PORT",
    }
)
DEFAULT_MAIL_CATCHER_PORT = 8025


def operator_env(env: Mapping[str, str]) -> dict[str, str]:
    return {
        key: value
        for key, value in env.items()
        if key.startswith("AUTHMESH_")
        and key not in STACK_SETTINGS
        and not key.endswith("_DATABASE_URL")
    }


def spec_from_env(env: Mapping[str, str], data_dir: Path) -> StackSpec:
    catcher_port = int(env.get("AUTHMESH_MAIL_CATCHER_PORT", DEFAULT_MAIL_CATCHER_PORT))
    return StackSpec(
        secret=env.get("AUTHMESH_SECRET") or load_or_create_secret(data_dir),
        rotated_secrets=env.get("AUTHMESH_SECRETS", ""),
        encryption_keys=env.get("AUTHMESH_ENCRYPTION_KEYS")
        or load_or_create_encryption_keys(data_dir),
        mode=Mode(env.get("AUTHMESH_MODE", Mode.DEVELOPMENT.value)),
        gateway_port=int(env.get("AUTHMESH_GATEWAY_PORT", "8000")),
        base_url=env.get("AUTHMESH_BASE_URL") or None,
        trusted_origins=env.get("AUTHMESH_TRUSTED_ORIGINS", ""),
        trusted_proxies=env.get("AUTHMESH_TRUSTED_PROXIES", ""),
        admin_email=env.get("AUTHMESH_ADMIN_EMAIL", ""),
        admin_password=env.get("AUTHMESH_ADMIN_PASSWORD", ""),
        log_level=env.get("AUTHMESH_LOG_LEVEL", "info"),
        operator_env=operator_env(env),
        mail_catcher_port=None if env.get("AUTHMESH_SMTP_HOST") else catcher_port,
        require_email_verification=env.get("AUTHMESH_REQUIRE_EMAIL_VERIFICATION", "").lower()
        in ("1", "true", "yes"),
    )


async def up(data_dir: Path) -> None:
    env = os.environ
    spec = spec_from_env(env, data_dir)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with local_backing(
        data_dir,
        database_url=env.get("AUTHMESH_DATABASE_URL"),
        nats_url=env.get("AUTHMESH_NATS_URL"),
        redis_url=env.get("AUTHMESH_REDIS_URL"),
        namespace=env.get("AUTHMESH_NAMESPACE"),
    ) as backing:
        stack = Stack.create(spec, backing, log_dir=None)
        starting = asyncio.create_task(stack.start())
        interrupted = asyncio.create_task(stopping.wait())
        await asyncio.wait({starting, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            # Cancelling the start stops whatever it had started.
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            return
        interrupted.cancel()
        starting.result()
        try:
            mail = spec.mail_catcher_port
            caught = f"\nMail sent by notify: http://localhost:{mail}" if mail else ""
            print(f"\nAuthmesh is up: {stack.gateway_url}{caught}  (Ctrl-C stops it)\n", flush=True)
            await stopping.wait()
        finally:
            await stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m authmesh_kit.stack")
    parser.add_argument("command", choices=["up"])
    parser.add_argument("--data-dir", type=Path, default=Path("var"), help="default: ./var")
    args = parser.parse_args()
    try:
        asyncio.run(up(args.data_dir.resolve()))
    except StackError as exc:
        raise SystemExit(f"authmesh: {exc}") from None


if __name__ == "__main__":
    main()
