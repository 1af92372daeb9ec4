"""Better-Auth's passkey plugin (api.md §9.3; @better-auth/passkey 1.7.6 `routes.ts`).

The mfa service runs the WebAuthn ceremonies with the relying party of its configuration and
keeps each challenge; the gateway carries the challenge's id in the plugin's signed
`better-auth-passkey` cookie (5 minutes, as Better-Auth's) and writes the options, passkeys
and answers byte for byte as the plugin does (`creation_options_json`, `request_options_json`,
`passkey_json`). A passkey sign-in ends in `issue_session` like every other.

Authmesh differs on purpose (WIRE-NOTES §13): the expected origins are configuration, never the
request's Origin header (the plugin's default); a registration response that does not verify
is a 400 FAILED_TO_VERIFY_REGISTRATION where the plugin answers 500 with that code; and a
passkey that did not verify its user does not stand in for a user's second factor.
"""

import base64
import json
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from authmesh.mfa.v1 import passkey_pb2
from authmesh_gateway.context import GatewayContext, context_of
from authmesh_gateway.errors import api_error
from authmesh_gateway.http_io import actor_of, json_response, read_body, request_cookies
from authmesh_gateway.serialize import session_json, user_json
from authmesh_gateway.sessions.cookies import set_session_cookies
from authmesh_gateway.sessions.current import (
    current_session,
    require_fresh_session,
    require_session,
)
from authmesh_gateway.sessions.issue import issue_session
from authmesh_gateway.sessions.second_factor import SecondFactorRequired, two_factor_redirect
from authmesh_gateway.wire.body import Body
from authmesh_gateway.wire.cookies import sign_cookie_value, verify_signed_cookie
from authmesh_gateway.wire.dates import iso_date
from authmesh_gateway.wire.errors import ApiError
from authmesh_gateway.wire.js import trim
from authmesh_gateway.wire.query import query_object
from authmesh_gateway.wire.schemas import (
    DELETE_PASSKEY,
    PASSKEY_REGISTER_OPTIONS_QUERY,
    UPDATE_PASSKEY,
    VERIFY_PASSKEY_AUTHENTICATION,
    VERIFY_PASSKEY_REGISTRATION,
)
from authmesh_gateway.wire.validation import validate_body
from authmesh_kit.errors import DomainError

router = APIRouter()

CHALLENGE_COOKIE = "better-auth-passkey"
_PUBLIC_KEY = "public-key"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _descriptors(items: list[passkey_pb2.CredentialDescriptor]) -> list[dict[str, Any]]:
    """simplewebauthn's descriptors: `transports` split from the stored comma list, absent
    when none was stored."""
    descriptors = []
    for item in items:
        descriptor: dict[str, Any] = {"id": item.id}
        if item.HasField("transports"):
            descriptor["transports"] = item.transports.split(",")
        descriptor["type"] = _PUBLIC_KEY
        descriptors.append(descriptor)
    return descriptors


def creation_options_json(
    challenge: passkey_pb2.RegistrationChallenge,
    *,
    user_name: str,
    user_display_name: str,
    authenticator_attachment: str | None,
) -> dict[str, Any]:
    """PublicKeyCredentialCreationOptionsJSON as @simplewebauthn/server 13 writes it."""
    selection: dict[str, Any] = {
        "residentKey": challenge.resident_key,
        "userVerification": challenge.user_verification,
    }
    if authenticator_attachment:
        selection["authenticatorAttachment"] = authenticator_attachment
    selection["requireResidentKey"] = challenge.resident_key == "required"
    return {
        "challenge": _b64url(challenge.challenge),
        "rp": {"name": challenge.rp_name, "id": challenge.rp_id},
        "user": {
            "id": _b64url(challenge.user_handle),
            "name": user_name,
            "displayName": user_display_name,
        },
        "pubKeyCredParams": [{"alg": alg, "type": _PUBLIC_KEY} for alg in challenge.algorithms],
        "timeout": challenge.timeout_ms,
        "attestation": "none",
        "excludeCredentials": _descriptors(list(challenge.exclude_credentials)),
        "authenticatorSelection": selection,
        "extensions": {"credProps": True},
        "hints": [],
    }


def request_options_json(challenge: passkey_pb2.AuthenticationChallenge) -> dict[str, Any]:
    """PublicKeyCredentialRequestOptionsJSON as @simplewebauthn/server 13 writes it:
    `allowCredentials` only when there are some."""
    options: dict[str, Any] = {"rpId": challenge.rp_id, "challenge": _b64url(challenge.challenge)}
    if challenge.allow_credentials:
        options["allowCredentials"] = _descriptors(list(challenge.allow_credentials))
    options["timeout"] = challenge.timeout_ms
    options["userVerification"] = challenge.user_verification
    return options


def passkey_json(passkey: passkey_pb2.Passkey) -> dict[str, Any]:
    """A passkey row as Better-Auth answers it (api.md §8): the COSE key in padded base64."""
    return {
        "name": passkey.name if passkey.HasField("name") else None,
        "publicKey": base64.b64encode(passkey.public_key).decode(),
        "userId": passkey.user_id,
        "credentialID": passkey.credential_id,
        "counter": passkey.counter,
        "deviceType": passkey.device_type,
        "backedUp": passkey.backed_up,
        "transports": passkey.transports if passkey.HasField("transports") else None,
        "createdAt": iso_date(passkey.created_at.ToDatetime(tzinfo=UTC)),
        "aaguid": passkey.aaguid if passkey.HasField("aaguid") else None,
        "id": passkey.id,
    }


def _set_challenge_cookie(
    response: Response, ctx: GatewayContext, challenge_id: str, max_age: int
) -> None:
    name = ctx.cookies.name(CHALLENGE_COOKIE)
    value = sign_cookie_value(challenge_id, ctx.secrets[0])
    response.headers.append("set-cookie", ctx.cookies.set_line(name, value, max_age))


def _challenge_id(request: Request, ctx: GatewayContext) -> str:
    """The challenge id of a validly signed challenge cookie, else 400 CHALLENGE_NOT_FOUND."""
    wire = request_cookies(request).get(ctx.cookies.name(CHALLENGE_COOKIE))
    challenge_id = verify_signed_cookie(wire, ctx.secrets) if wire else None
    if not challenge_id:
        raise ApiError.from_code(400, "CHALLENGE_NOT_FOUND")
    return challenge_id


def _with_trimmed_name(body: Body) -> Body:
    """zod's `.trim()` runs before the field's other checks."""
    if isinstance(body, dict) and isinstance(body.get("name"), str):
        return {**body, "name": trim(str(body["name"]))}
    return body


@router.get("/passkey/generate-register-options")
async def generate_register_options(request: Request) -> Response:
    ctx = context_of(request)
    query = validate_body(
        query_object(request.query_params.multi_items()),
        PASSKEY_REGISTER_OPTIONS_QUERY,
        source="query",
    )
    current = await require_fresh_session(request, ctx)
    user = current.user
    account_name = user.email or user.id
    try:
        challenge = await ctx.passkeys.start_registration(user_id=user.id)
    except DomainError as error:
        raise api_error(error) from None
    attachment = query.get("authenticatorAttachment")
    options = creation_options_json(
        challenge,
        user_name=str(query.get("name") or account_name),
        user_display_name=account_name,
        authenticator_attachment=str(attachment) if attachment else None,
    )
    response = json_response(options)
    _set_challenge_cookie(response, ctx, challenge.challenge_id, challenge.challenge_lifetime_s)
    return response


@router.post("/passkey/verify-registration")
async def verify_registration(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(
        _with_trimmed_name(await read_body(request, ctx)), VERIFY_PASSKEY_REGISTRATION
    )
    current = await require_fresh_session(request, ctx)
    challenge_id = _challenge_id(request, ctx)
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    try:
        passkey = await ctx.passkeys.finish_registration(
            challenge_id=challenge_id,
            user_id=current.user.id,
            response_json=json.dumps(body["response"]),
            name=str(body["name"]) if body.get("name") else None,
            actor=actor,
        )
        if body.get("createSession") is not True:
            return json_response(passkey_json(passkey))
        # The registering session passed every factor already.
        issued = await issue_session(
            ctx,
            request=request,
            user_id=current.user.id,
            method="passkey",
            dont_remember=False,
            actor=actor,
            second_factor_satisfied=True,
        )
    except DomainError as error:
        raise api_error(error) from None
    answer = passkey_json(passkey) | {
        "session": session_json(issued.session),
        "user": user_json(issued.user),
    }
    response = json_response(answer)
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response


@router.get("/passkey/generate-authenticate-options")
async def generate_authenticate_options(request: Request) -> Response:
    ctx = context_of(request)
    current = await current_session(request, ctx)
    try:
        challenge = await ctx.passkeys.start_authentication(
            user_id=current.user.id if current else None
        )
    except DomainError as error:
        raise api_error(error) from None
    response = json_response(request_options_json(challenge))
    _set_challenge_cookie(response, ctx, challenge.challenge_id, challenge.challenge_lifetime_s)
    return response


@router.post("/passkey/verify-authentication")
async def verify_authentication(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), VERIFY_PASSKEY_AUTHENTICATION)
    challenge_id = _challenge_id(request, ctx)
    actor = actor_of(request, ctx)
    try:
        proof = await ctx.passkeys.finish_authentication(
            challenge_id=challenge_id, response_json=json.dumps(body["response"]), actor=actor
        )
        actor.user_id = proof.user_id
        # A user-verified passkey is two factors in one (possession, and the PIN or biometric
        # the authenticator checked); without verification it is one, like a password.
        issued = await issue_session(
            ctx,
            request=request,
            user_id=proof.user_id,
            method="passkey",
            dont_remember=False,
            actor=actor,
            second_factor_satisfied=proof.user_verified,
        )
    except DomainError as error:
        if error.reason == "PASSKEY_NOT_FOUND":
            raise ApiError.from_code(401, error.reason) from None
        raise api_error(error) from None
    if isinstance(issued, SecondFactorRequired):
        return two_factor_redirect(ctx, issued)
    response = json_response(
        {"session": session_json(issued.session), "user": user_json(issued.user)}
    )
    set_session_cookies(response, ctx, request=request, session=issued.session, user=issued.user)
    return response


@router.get("/passkey/list-user-passkeys")
async def list_user_passkeys(request: Request) -> Response:
    ctx = context_of(request)
    current = await require_session(request, ctx)
    try:
        passkeys = await ctx.passkeys.list_passkeys(user_id=current.user.id)
    except DomainError as error:
        raise api_error(error) from None
    return json_response([passkey_json(passkey) for passkey in passkeys])


@router.post("/passkey/update-passkey")
async def update_passkey(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(_with_trimmed_name(await read_body(request, ctx)), UPDATE_PASSKEY)
    current = await require_session(request, ctx)
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    try:
        passkey = await ctx.passkeys.rename_passkey(
            user_id=current.user.id, passkey_id=str(body["id"]), name=str(body["name"]), actor=actor
        )
    except DomainError as error:
        if error.reason == "NOT_PASSKEY_OWNER":
            raise ApiError.from_code(401, "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY") from None
        raise api_error(error) from None
    return json_response({"passkey": passkey_json(passkey)})


@router.post("/passkey/delete-passkey")
async def delete_passkey(request: Request) -> Response:
    ctx = context_of(request)
    body = validate_body(await read_body(request, ctx), DELETE_PASSKEY)
    current = await require_session(request, ctx)
    actor = actor_of(request, ctx)
    actor.user_id = current.user.id
    try:
        await ctx.passkeys.delete_passkey(
            user_id=current.user.id, passkey_id=str(body["id"]), actor=actor
        )
    except DomainError as error:
        if error.reason == "NOT_PASSKEY_OWNER":
            raise ApiError(401) from None  # the plugin's ownership check: no body
        raise api_error(error) from None
    return json_response({"status": True})
