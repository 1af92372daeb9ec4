from pathlib import Path

from authmesh_kit.cli import run_cli
from authmesh_session.bootstrap import serve

run_cli("session", serve, Path(__file__).parent / "store" / "migrations")
