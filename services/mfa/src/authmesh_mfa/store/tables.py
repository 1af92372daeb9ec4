"""The mfa schema. So far only the kit's outbox and processed events; TOTP secrets, backup
codes, OTP challenges, passkeys and trusted devices arrive with their issues.
"""

from sqlalchemy import MetaData

from authmesh_kit.db.kit_tables import kit_tables

SCHEMA = "mfa"
metadata = MetaData(schema=SCHEMA)

_kit = kit_tables(metadata)
outbox = _kit.outbox
processed_events = _kit.processed_events
