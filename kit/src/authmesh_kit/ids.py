"""Identifiers: opaque text, new ones UUIDv7 so that they sort by creation time."""

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())
