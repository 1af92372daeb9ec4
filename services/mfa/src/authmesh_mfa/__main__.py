from pathlib import Path

from authmesh_kit.cli import run_cli
from authmesh_mfa.bootstrap import serve

run_cli("mfa", serve, Path(__file__).parent / "store" / "migrations")
