from authmesh_kit.db.migrations import run_env
from authmesh_org.store.tables import SCHEMA, metadata

run_env(metadata, SCHEMA)
