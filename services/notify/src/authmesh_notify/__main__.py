from authmesh_kit.cli import run_cli
from authmesh_notify.bootstrap import serve

run_cli("notify", serve)
