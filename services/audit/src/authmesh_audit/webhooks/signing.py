"""The signature on every webhook request, for the receiver to check.

`X-Authmesh-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with
`X-Authmesh-Timestamp: <unix seconds>`. Signing the timestamp with the body lets a receiver
refuse a replayed request: it recomputes the HMAC over the timestamp header, a dot and the raw
body, compares in constant time, and rejects timestamps older than a few minutes.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Authmesh-Signature"
TIMESTAMP_HEADER = "X-Authmesh-Timestamp"
VERSION = "v1"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def verify_signature(
    *, secret: bytes, timestamp: int, body: bytes, signature: str, now: int, tolerance_s: int = 300
) -> bool:
    """What a receiver does (and the tests)."""
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
