"""The JWTs Better-Auth's jwt plugin issues (api.md §7): a JWS (RFC 7515) signed with EdDSA
(RFC 8037) whose header is `{alg, kid}` and whose claims (RFC 7519 §4.1) are the user object
with `iat` first and `sub`, `exp`, `iss`, `aud` after it, as jose's SignJWT orders them."""

import json
from collections.abc import Mapping
from typing import Any

import jwt

from authmesh_session.domain.key_set import CurrentKey
from authmesh_session.domain.signing_keys import ALG, JwtPolicy


def user_claims(user_json: str) -> dict[str, Any] | None:
    """The user object the gateway sends, or None when it is not a JSON object."""
    try:
        user = json.loads(user_json)
    except ValueError:
        return None
    return user if isinstance(user, dict) else None


def jwt_claims(
    user: Mapping[str, Any], *, subject: str, issued_at: int, policy: JwtPolicy
) -> dict[str, Any]:
    claims = {"iat": issued_at, **user}
    # Registered claims win over user fields of the same name, where jose puts them.
    claims |= {
        "iat": issued_at,
        "sub": subject,
        "exp": issued_at + int(policy.expires_in.total_seconds()),
        "iss": policy.issuer,
        "aud": policy.audience,
    }
    return claims


def sign_jwt(claims: Mapping[str, Any], key: CurrentKey) -> str:
    # PyJWT adds `typ: JWT` unless told not to; Better-Auth's header has only alg and kid.
    return jwt.encode(
        dict(claims), key.private_key, algorithm=ALG, headers={"kid": key.id, "typ": None}
    )
