"""The command line every service shares: `python -m authmesh_<service> serve | migrate`, plus
the commands a service adds (`commands`: name → coroutine returning the exit status)."""

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from authmesh_kit.db.migrations import upgrade


def run_cli(
    service: str,
    serve: Callable[[], Coroutine[Any, Any, None]],
    migrations: Path | None = None,
    commands: Mapping[str, Callable[[], Coroutine[Any, Any, int]]] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=f"authmesh-{service}")
    extra = dict(commands or {})
    choices = ["serve", "migrate"] if migrations else ["serve"]
    parser.add_argument("command", choices=[*choices, *extra])
    args = parser.parse_args()
    if args.command in extra:
        sys.exit(asyncio.run(extra[args.command]()))
    if args.command == "migrate":
        assert migrations is not None
        # Migrations run as their own step (a Helm hook Job), with only the database URL.
        variable = f"AUTHMESH_{service.upper()}_DATABASE_URL"
        url = os.environ.get(variable)
        if not url:
            sys.exit(f"{variable} is not set")
        upgrade(migrations, url)
        return
    asyncio.run(serve())
