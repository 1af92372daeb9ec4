"""Better-Auth's magicLink plugin (api.md §9.5): a single-use sign-in link mailed to an address.

The link goes out whether or not the address has a user, so the answer says nothing about it.
Its token is a one-time link token (domain/one_time_tokens.py) of its own purpose, stored only
hashed, bound to the address and, when there is one, to its user, valid for minutes and built
from the configured base URL. Opening it signs the address's user in, creating the user
(verified, with the name asked for) when there is none (use_cases/email_proof.py).
"""

from authmesh_identity.domain import events, messages
from authmesh_identity.domain.emails import normalize_email
from authmesh_identity.domain.errors import DOMAIN, invalid_token
from authmesh_identity.domain.links import magic_link_url
from authmesh_identity.domain.model import AccountFlowPolicy, PasswordlessPolicy
from authmesh_identity.domain.one_time_tokens import TokenPurpose, is_well_formed, token_hash
from authmesh_identity.domain.ports import AccountTransaction, UnitOfWork
from authmesh_identity.domain.token_issuing import issue_token
from authmesh_identity.domain.use_cases.email_proof import EmailProof, prove_email
from authmesh_kit.errors import DomainError, ErrorKind
from authmesh_kit.events.envelope import Actor

PURPOSE = TokenPurpose.MAGIC_LINK


def new_user_sign_up_disabled() -> DomainError:
    return DomainError(
        ErrorKind.FAILED_PRECONDITION,
        "NEW_USER_SIGNUP_DISABLED",
        DOMAIN,
        "New user sign-up is disabled",
    )


async def send_magic_link(
    uow: UnitOfWork,
    flows: AccountFlowPolicy,
    policy: PasswordlessPolicy,
    *,
    email: str,
    name: str | None,
    callback_url: str | None,
    new_user_callback_url: str | None,
    error_callback_url: str | None,
    actor: Actor | None,
) -> None:
    address = normalize_email(email)
    async with uow.begin() as tx:
        user = await tx.user_by_email(address)
        token, expires_at = await issue_token(
            tx,
            PURPOSE,
            user,
            policy.magic_link_expires_in,
            sent_to=address,
            new_user_name=None if user else name,
        )
        url = magic_link_url(
            flows.base_url,
            token,
            callback_url=callback_url,
            new_user_callback_url=new_user_callback_url,
            error_callback_url=error_callback_url,
        )
        user_id = user.id if user else ""
        await tx.add_messages(
            messages.magic_link(
                to=address, user_id=user_id, token=token, url=url, expires_at=expires_at
            )
        )
        await tx.add_events(events.magic_link_requested(user_id, expires_at, actor))


async def verify_magic_link(
    uow: UnitOfWork, policy: PasswordlessPolicy, *, token: str, actor: Actor | None
) -> EmailProof:
    """Consumes the token: the user it signs in. Unknown, used, expired, malformed and
    other-purpose tokens are all INVALID_TOKEN, as in Better-Auth."""
    if not is_well_formed(token):
        raise invalid_token()
    proof: EmailProof | None = None
    async with uow.begin() as tx:
        consumed = await tx.consume_token(token_hash(PURPOSE, token), PURPOSE.value)
        if consumed is None:
            await tx.add_events(events.sign_in_failed("INVALID_TOKEN", "", actor))
        else:
            await _check_still_bound(tx, consumed.user_id, consumed.email)
            proof = await prove_email(
                tx,
                email=consumed.email,
                name=consumed.new_user_name,
                image=None,
                method="magic-link",
                sign_up=policy.magic_link_sign_up,
                actor=actor,
            )
            if proof is None:
                raise new_user_sign_up_disabled()
    if proof is None:
        raise invalid_token()
    return proof


async def _check_still_bound(tx: AccountTransaction, user_id: str | None, email: str) -> None:
    """A link sent to a user is void once the user has another address."""
    if user_id is None:
        return
    user = await tx.get_user(user_id)
    if user is None or user.email != email:
        raise invalid_token()
