"""Real Postgres, NATS and Redis for tests, and the whole platform started once per session.

Loaded with `-p authmesh_kit.testing.pytest_plugin`. `backing` is a fresh database (dropped
with its roles afterwards), a nats-server of the session's own and the shared Redis, all under
one namespace. `stack` starts every service the way `make up` does, only when a test asks for
it, with AUTHMESH_MODE=test and an admin seeded as ADMIN_EMAIL / ADMIN_PASSWORD.
"""

import secrets
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from authmesh_kit.crypto.key_ring import new_key_ring_spec
from authmesh_kit.settings import Mode
from authmesh_kit.stack.backing import Backing, fresh_backing
from authmesh_kit.stack.plan import StackSpec
from authmesh_kit.stack.supervisor import Stack

ADMIN_EMAIL = "admin@authmesh.test"
ADMIN_PASSWORD = "admin-password-for-tests"  # noqa: S105 - a fixture, only in test stacks
TRUSTED_ORIGIN = "http://localhost:3000"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def backing(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Backing]:
    async with fresh_backing(tmp_path_factory.mktemp("backing")) as session_backing:
        yield session_backing


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(backing: Backing, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    spec = StackSpec(
        secret=secrets.token_urlsafe(32),
        encryption_keys=new_key_ring_spec(),
        mode=Mode.TEST,
        trusted_origins=TRUSTED_ORIGIN,
        trusted_proxies="127.0.0.1,::1",
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    )
    async with Stack.create(
        spec, backing, log_dir=tmp_path_factory.mktemp("stack-logs")
    ) as running:
        yield running
