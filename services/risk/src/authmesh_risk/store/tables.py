"""The risk schema. So far only the kit's outbox and processed events; sign-in history, known
devices and IP / geo history arrive with their issues.
"""

from sqlalchemy import MetaData

from authmesh_kit.db.kit_tables import kit_tables

SCHEMA = "risk"
metadata = MetaData(schema=SCHEMA)

_kit = kit_tables(metadata)
outbox = _kit.outbox
processed_events = _kit.processed_events
