from pathlib import Path

from authmesh_identity.bootstrap import serve
from authmesh_kit.cli import run_cli

run_cli("identity", serve, Path(__file__).parent / "store" / "migrations")
