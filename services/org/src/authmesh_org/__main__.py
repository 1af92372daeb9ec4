from pathlib import Path

from authmesh_kit.cli import run_cli
from authmesh_org.bootstrap import serve

run_cli("org", serve, Path(__file__).parent / "store" / "migrations")
