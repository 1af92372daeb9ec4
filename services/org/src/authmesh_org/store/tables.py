"""The org schema. So far only the kit's outbox and processed events; organizations, members,
roles, invitations and teams arrive with their issues.
"""

from sqlalchemy import MetaData

from authmesh_kit.db.kit_tables import kit_tables

SCHEMA = "org"
metadata = MetaData(schema=SCHEMA)

_kit = kit_tables(metadata)
outbox = _kit.outbox
processed_events = _kit.processed_events
