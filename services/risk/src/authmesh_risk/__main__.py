from pathlib import Path

from authmesh_kit.cli import run_cli
from authmesh_risk.bootstrap import serve

run_cli("risk", serve, Path(__file__).parent / "store" / "migrations")
