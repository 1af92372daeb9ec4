from authmesh_identity.store.tables import SCHEMA, metadata
from authmesh_kit.db.migrations import run_env

run_env(metadata, SCHEMA)
