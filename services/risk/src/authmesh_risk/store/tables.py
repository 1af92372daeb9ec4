"""The risk schema. So far only the kit's outbox and processed events; sign-in history, known
devices and IP / geo history arrive with their issues.
"""

from sqlalchemy import MetaData

from authmesh_kit.events.consumer import processed_events_table
from authmesh_kit.events.outbox import outbox_table

SCHEMA = "risk"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
