"""The test outbox's writing side (shared/better-auth/test-outbox.md), in test mode only: each
delivered message is appended as the contract's JSON `Message` to the Redis list
`<namespace>:test-outbox:<recipient>`, which expires an hour after its last message. The
gateway's `/__test/outbox` serves it (authmesh_gateway.routes.test_outbox).
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime

import redis.asyncio

from authmesh_notify.domain.model import Notification

TTL_S = 3600
# The peer keeps the last 50 messages per recipient; so does this.
MAX_PER_RECIPIENT = 50

# The contract's fields besides to, type and createdAt, per type; a type it does not list
# gets whichever of the contract's fields it carries.
FIELDS_BY_TYPE: Mapping[str, tuple[str, ...]] = {
    "verify-email": ("token", "url"),
    "reset-password": ("token", "url"),
    "email-otp": ("otp", "otpType"),
    "magic-link": ("token", "url"),
    "two-factor-otp": ("otp",),
    "phone-otp": ("otp",),
    "phone-reset-otp": ("otp",),
    "delete-account": ("token", "url"),
    "organization-invitation": ("invitationId", "organizationId", "role", "inviterEmail"),
}
CONTRACT_FIELDS = (
    *("token", "url", "otp", "otpType"),
    *("invitationId", "organizationId", "role", "inviterEmail"),
)


def outbox_key(namespace: str, recipient: str) -> str:
    """The recipient lower-cased, as the gateway looks it up (phone numbers have no case)."""
    return f"{namespace}:test-outbox:{recipient.lower()}"


def iso_millis(moment: datetime) -> str:
    """JavaScript's `Date.prototype.toISOString()`: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def outbox_entry(notification: Notification, delivered_at: datetime) -> dict[str, str]:
    names = FIELDS_BY_TYPE.get(notification.type, CONTRACT_FIELDS)
    entry = {"to": notification.to.lower(), "type": notification.type}
    entry |= {name: notification.fields[name] for name in names if name in notification.fields}
    entry["createdAt"] = iso_millis(delivered_at)
    return entry


class RedisTestOutbox:
    def __init__(self, client: "redis.asyncio.Redis", namespace: str) -> None:
        self._client = client
        self._namespace = namespace

    async def record(self, notification: Notification, delivered_at: datetime) -> None:
        key = outbox_key(self._namespace, notification.to)
        entry = json.dumps(outbox_entry(notification, delivered_at), separators=(",", ":"))
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, entry)
            pipe.ltrim(key, -MAX_PER_RECIPIENT, -1)
            pipe.expire(key, TTL_S)
            await pipe.execute()
