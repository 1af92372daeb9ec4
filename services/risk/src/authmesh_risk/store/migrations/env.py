from authmesh_kit.db.migrations import run_env
from authmesh_risk.store.tables import SCHEMA, metadata

run_env(metadata, SCHEMA)
