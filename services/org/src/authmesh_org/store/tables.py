"""The org schema. So far only the kit's outbox and processed events; organizations, members,
roles, invitations and teams arrive with their issues.
"""

from sqlalchemy import MetaData

from authmesh_kit.events.consumer import processed_events_table
from authmesh_kit.events.outbox import outbox_table

SCHEMA = "org"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
