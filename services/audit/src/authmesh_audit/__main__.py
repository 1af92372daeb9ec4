from pathlib import Path

from authmesh_audit.bootstrap import serve, verify
from authmesh_kit.cli import run_cli

run_cli("audit", serve, Path(__file__).parent / "store" / "migrations", {"verify": verify})
