"""The mfa schema. So far only the kit's outbox and processed events; TOTP secrets, backup
codes, OTP challenges, passkeys and trusted devices arrive with their issues.
"""

from sqlalchemy import MetaData

from authmesh_kit.events.consumer import processed_events_table
from authmesh_kit.events.outbox import outbox_table

SCHEMA = "mfa"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
