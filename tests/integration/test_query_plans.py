"""EXPLAIN on every repository query of every service (DESIGN §6): no request path scans a table,
so the cost of a request stays flat from 10k to 1M users and sessions.

The services' stores run here, in this process, on a database of their own migrated to head and
seeded with enough rows (then ANALYZE) for the planner to weigh indexes as in production. A
SQLAlchemy listener records every statement they send, with its parameters and the store method
that sent it, and each one is explained with sequential scans disabled (`enable_seqscan = off`):
a plan that still reads a table sequentially, or reads a whole index without a condition, has no
index to serve it. Exempt: tables small by design (the outbox, whose rows go once published; the
JWT signing keys, a handful; identity's user counts, 16 rows), and in the admin listing, which
runs under a statement timeout, substring search (`bounded_by_timeout`).

Every public coroutine method of every `Postgres*` class in a service's `store` package must be
called here, so a new query cannot go unchecked: a new store method needs a call below.
"""

import asyncio
import importlib
import inspect
import json
import pkgutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from authmesh_audit.domain.model import AuditEntry, EventFilter, Position
from authmesh_audit.store.chain import PostgresChainSnapshot, PostgresChainStore
from authmesh_audit.store.repository import PostgresAuditStore
from authmesh_audit.store.retention import PostgresRetention
from authmesh_audit.store.webhooks import PostgresWebhookStore
from authmesh_identity.domain.admin_user_query import (
    FIELDS,
    SEARCH_FIELDS,
    SEARCH_OPERATORS,
    FieldType,
    ListingRequest,
    Operator,
    UserQuery,
    user_query,
)
from authmesh_identity.domain.model import NewUser, OneTimeToken, ProfileUpdate
from authmesh_identity.domain.one_time_codes import CodePolicy, CodePurpose
from authmesh_identity.domain.one_time_tokens import TokenPurpose
from authmesh_identity.domain.passwords import ThrottlePolicy
from authmesh_identity.settings import IdentitySettings
from authmesh_identity.store import tables as identity_tables
from authmesh_identity.store.admin_queries import PostgresUserDirectory
from authmesh_identity.store.purge import purge_rules as identity_purge_rules
from authmesh_identity.store.repository import PostgresUserStore
from authmesh_identity.store.uow import PostgresAccountTransaction, PostgresUnitOfWork
from authmesh_kit.crypto.key_ring import KeyRing, Sealed, new_key_ring_spec
from authmesh_kit.db.engine import create_engine
from authmesh_kit.db.migrations import upgrade
from authmesh_kit.db.purge import Purger, PurgeRule, older_than, processed_events_rule
from authmesh_kit.events.envelope import Envelope
from authmesh_kit.events.notifications import EMAIL, build_message
from authmesh_kit.events.outbox import Outbox
from authmesh_kit.ids import new_id
from authmesh_kit.settings import DATABASE_SERVICES, DatabaseServiceSettings
from authmesh_kit.stack.backing import DEFAULT_TEST_DATABASE_URL, fresh_database
from authmesh_mfa.domain.model import NewChallenge
from authmesh_mfa.domain.passkeys import Ceremony, Passkey, PasskeyChallenge
from authmesh_mfa.settings import MfaSettings
from authmesh_mfa.store import tables as mfa_tables
from authmesh_mfa.store.passkeys import PostgresPasskeyTransaction, PostgresPasskeyUnitOfWork
from authmesh_mfa.store.purge import purge_rules as mfa_purge_rules
from authmesh_mfa.store.two_factor_uow import (
    PostgresTwoFactorTransaction,
    PostgresTwoFactorUnitOfWork,
)
from authmesh_org.domain.member_query import member_query
from authmesh_org.domain.model import CustomRole as OrgRole
from authmesh_org.domain.model import Invitation as OrgInvitation
from authmesh_org.domain.model import Member as OrgMember
from authmesh_org.domain.model import Organization as OrgRecord
from authmesh_org.domain.model import OrganizationUpdate
from authmesh_org.domain.model import Team as OrgTeam
from authmesh_org.domain.model import TeamMember as OrgTeamMember
from authmesh_org.store import tables as org_tables
from authmesh_org.store.invitations import PostgresInvitationRows
from authmesh_org.store.organizations import PostgresMemberRows, PostgresOrganizationRows
from authmesh_org.store.purge import purge_rules as org_purge_rules
from authmesh_org.store.teams import PostgresRoleRows, PostgresTeamRows
from authmesh_org.store.uow import (
    PostgresAccessReader,
    PostgresOrgTransaction,
    PostgresOrgUnitOfWork,
)
from authmesh_risk.domain.model import Assessment as RiskAssessment
from authmesh_risk.domain.model import SignInPlace
from authmesh_risk.domain.scoring import Decision, Factor, Score
from authmesh_risk.settings import RiskSettings
from authmesh_risk.store import tables as risk_tables
from authmesh_risk.store.history import PostgresHistory, forget_user, learn_sign_in
from authmesh_risk.store.purge import purge_rules as risk_purge_rules
from authmesh_session.domain.model import Session
from authmesh_session.domain.signing_keys import SigningKey
from authmesh_session.store import tables as session_tables
from authmesh_session.store.repository import PostgresSessionStore
from authmesh_session.store.signing_keys import PostgresSigningKeyStore
from tests.conftest import unique_email

pytestmark = pytest.mark.integration

NAMESPACE = "plans"
PASSWORD_HASH = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA"  # never verified here
# (schema, table) that stay small by design; `None` as schema: that table in every schema.
SMALL_TABLES = {(None, "outbox"), ("session", "signing_keys"), ("identity", "user_counts")}
_EXPLAINED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


# --- recording what the stores send ---------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    method: str  # "PostgresSessionStore.get"
    statement: str
    parameters: tuple[Any, ...]


@dataclass
class StatementLog:
    """Every statement the engines it watches send, each with the store method that sent it."""

    sent: list[Sent] = field(default_factory=list)
    called: set[str] = field(default_factory=set)
    _method: str = ""

    def watch(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    @contextmanager
    def calling(self, method: Callable[..., Any]) -> Iterator[None]:
        self._method = method.__qualname__
        self.called.add(self._method)
        try:
            yield
        finally:
            self._method = ""

    def _record(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        first = parameters[0] if many else parameters
        self.sent.append(Sent(self._method or "(outside a store method)", statement, tuple(first)))


def store_methods(service: str) -> set[str]:
    """`Class.method` of every public coroutine method of the `Postgres*` classes that the
    modules of `authmesh_<service>.store` define."""
    package = importlib.import_module(f"authmesh_{service}.store")
    found: set[str] = set()
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for name, cls in vars(module).items():
            if not (inspect.isclass(cls) and name.startswith("Postgres")):
                continue
            if cls.__module__ != module.__name__:
                continue  # imported from elsewhere
            found |= {
                f"{name}.{method}"
                for method, function in vars(cls).items()
                if inspect.iscoroutinefunction(function) and not method.startswith("_")
            }
    return found


# --- reading plans -----------------------------------------------------------------------------


def full_reads(plan: dict[str, Any], *, limited: bool = False) -> list[str]:
    """The nodes of an EXPLAIN (FORMAT JSON, VERBOSE) plan that read a whole table, or a whole
    index, of a table that is not small by design. An index read in order straight into a
    Limit, with no filter, stops after the rows it returns: that is not a whole read."""
    kind = plan["Node Type"]
    schema, table = plan.get("Schema"), plan.get("Relation Name")
    found = []
    if (schema, table) in SMALL_TABLES or (None, table) in SMALL_TABLES:
        pass
    elif kind == "Seq Scan":
        found.append(f"Seq Scan on {schema}.{table}")
    elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
        bounded = limited and "Filter" not in plan
        if "Index Cond" not in plan and not bounded:
            found.append(f"{kind} of all of {plan['Index Name']}")
    for child in plan.get("Plans", []):
        found += full_reads(child, limited=kind == "Limit")
    return found


def bounded_by_timeout(sent: Sent) -> bool:
    """What may read the users table whole: only the admin listing, which runs under a statement
    timeout (store/admin_queries.py), and there only substring search (no btree serves `%x%`).
    The total of an unfiltered listing is read from the user counts, not counted."""
    if sent.method != PostgresUserDirectory.list_users.__qualname__:
        return False
    return any(isinstance(value, str) and value.startswith("%") for value in sent.parameters)


async def explain(conn: asyncpg.Connection, sent: Sent) -> dict[str, Any]:
    answer = await conn.fetchval(
        f"EXPLAIN (FORMAT JSON, VERBOSE) {sent.statement}", *sent.parameters
    )
    plan: dict[str, Any] = json.loads(answer)[0]["Plan"]
    return plan


# --- the database -------------------------------------------------------------------------------


# Rows enough for the planner to weigh one index against another as it would in production
# (statistics from ANALYZE); with sequential scans disabled, only a query no index serves
# still reads a table whole.
SEED = """
INSERT INTO identity.users (id, name, email, created_at, updated_at, role)
  SELECT 'seed-' || n, 'Seed ' || n, 'seed-' || n || '@plans.test',
         now() - n * interval '1 minute', now(), CASE WHEN n % 1000 = 0 THEN 'admin' ELSE 'user' END
  FROM generate_series(1, 20000) AS n;
INSERT INTO identity.accounts (id, account_id, provider_id, user_id, password)
  SELECT 'account-' || n, 'seed-' || n, 'credential', 'seed-' || n, 'hash'
  FROM generate_series(1, 20000) AS n;
INSERT INTO identity.one_time_tokens (token_hash, purpose, user_id, email, expires_at)
  SELECT sha256(('token-' || n)::bytea), 'password-reset', 'seed-' || n, 'seed-' || n, now()
  FROM generate_series(1, 20000) AS n;
INSERT INTO identity.one_time_codes (purpose, identifier, code_hash, user_id, expires_at)
  SELECT 'email-otp:sign-in', 'seed-' || n, sha256(('code-' || n)::bytea), 'seed-' || n, now()
  FROM generate_series(1, 20000) AS n;
INSERT INTO session.sessions (token_hash, id, user_id, expires_at, created_at, updated_at,
                              ip_address, user_agent, dont_remember)
  SELECT sha256(('session-' || n)::bytea), 'session-' || n, 'seed-' || (n % 20000 + 1),
         now() + interval '30 days', now(), now(), '', '', false
  FROM generate_series(1, 40000) AS n;
INSERT INTO audit.entries (event_id, type, occurred_at, producer, actor_kind, actor_user_id, ip,
                           user_agent, user_id, organization_id, session_id, traceparent, payload,
                           sequence, prev_hash, hash, recorded_at)
  SELECT 'event-' || n,
         CASE WHEN n % 1000 = 0 THEN 'auth.identity.user.updated.v1'
              ELSE 'auth.session.session.created.v1' END,
         now() - (40000 - n) * interval '1 s',
         'identity', 'user', '', '10.0.' || (n % 200) || '.1', '', 'seed-' || (n % 20000 + 1),
         CASE WHEN n % 10 = 0 THEN 'org-' || (n % 500) ELSE '' END, '', '', '{}', n, '', '',
         now() - (40000 - n) * interval '1 s'
  FROM generate_series(1, 40000) AS n;
UPDATE audit.chain_head SET sequence = 40000;
"""
PROCESSED_EVENTS_SEED = (
    "INSERT INTO {schema}.processed_events (event_id, processed_at)"
    " SELECT 'event-' || n, now() - n * interval '1 minute' FROM generate_series(1, 20000) AS n"
)


def migrations_dir(service: str) -> Path:
    module = importlib.import_module(f"authmesh_{service}")
    assert module.__file__ is not None
    return Path(module.__file__).parent / "store" / "migrations"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def database_url() -> AsyncIterator[str]:
    """A database of this module's own with every service's schema at head (no service runs
    on it, so nothing but these stores touches it)."""
    async with fresh_database(DEFAULT_TEST_DATABASE_URL, prefix="authmesh_plans") as url:
        for service in DATABASE_SERVICES:
            await asyncio.to_thread(upgrade, migrations_dir(service), url)
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(SEED)
            for service in DATABASE_SERVICES:
                if service not in ("audit", "risk"):  # they keep no processed-event ids
                    await conn.execute(PROCESSED_EVENTS_SEED.format(schema=service))
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def engines(database_url: str) -> AsyncIterator[dict[str, AsyncEngine]]:
    made = {service: create_engine(database_url, service) for service in DATABASE_SERVICES}
    yield made
    for engine in made.values():
        await engine.dispose()


# --- exercising every store method -----------------------------------------------------------


def envelope() -> Envelope:
    return Envelope(id=new_id(), type="auth.identity.user.updated.v1")


def new_user(**fields: Any) -> NewUser:
    return NewUser(id=new_id(), name="Ada", email=unique_email(), image=None, **fields)


async def exercise_identity(engine: AsyncEngine, log: StatementLog) -> None:
    key_ring = KeyRing.from_spec(new_key_ring_spec())
    outbox = Outbox(identity_tables.outbox, NAMESPACE, key_ring)
    users, uow = PostgresUserStore(engine, outbox), PostgresUnitOfWork(engine, outbox)
    ada = new_user(username="ada", phone_number="+15550100")
    with log.calling(PostgresUserStore.create_with_password):
        await users.create_with_password(ada, PASSWORD_HASH, envelope())
    with log.calling(PostgresUserStore.find_with_password):
        await users.find_with_password(ada.email)
    with log.calling(PostgresUserStore.find_with_password_by_username):
        await users.find_with_password_by_username("ada")
    with log.calling(PostgresUserStore.find_with_password_by_phone_number):
        await users.find_with_password_by_phone_number("+15550100")
    with log.calling(PostgresUserStore.username_exists):
        await users.username_exists("ada")
    with log.calling(PostgresUserStore.get):
        await users.get(ada.id)
    with log.calling(PostgresUserStore.exists_by_email):
        await users.exists_by_email(ada.email)
    with log.calling(PostgresUserStore.lookup):
        await users.lookup([ada.id, new_id()], [ada.email, unique_email()])
    with log.calling(PostgresUserStore.replace_password_hash):
        await users.replace_password_hash(ada.id, PASSWORD_HASH, PASSWORD_HASH)
    with log.calling(PostgresUserStore.record):
        await users.record(envelope())

    soon = datetime.now(UTC) + timedelta(hours=1)
    link = OneTimeToken(new_id().encode(), TokenPurpose.PASSWORD_RESET, ada.id, ada.email, soon)
    codes = CodePolicy()
    txn = PostgresAccountTransaction  # the methods called on `tx`
    async with uow.begin() as tx:
        with log.calling(txn.create_user_with_password):
            await tx.create_user_with_password(new_user(), PASSWORD_HASH)
        with log.calling(txn.create_user):
            unverified = await tx.create_user(new_user())
        with log.calling(txn.get_user):
            user = await tx.get_user(ada.id)
        assert user is not None
        with log.calling(txn.user_by_email):
            await tx.user_by_email(ada.email)
        with log.calling(txn.user_by_phone_number):
            await tx.user_by_phone_number("+15550100")
        with log.calling(txn.credential_hash):
            await tx.credential_hash(ada.id)
        with log.calling(txn.insert_token):
            await tx.insert_token(link)
        with log.calling(txn.token_state):
            await tx.token_state(link.token_hash, link.purpose)
        with log.calling(txn.consume_token):
            await tx.consume_token(link.token_hash, link.purpose)
        with log.calling(txn.invalidate_tokens):
            await tx.invalidate_tokens(ada.id, TokenPurpose.EMAIL_VERIFICATION)
        with log.calling(txn.invalidate_password_resets):
            await tx.invalidate_password_resets(user)
        with log.calling(txn.invalidate_secrets):
            await tx.invalidate_secrets(ada.id, ada.email)
        with log.calling(txn.claim_unverified_user):
            await tx.claim_unverified_user(unverified.id)  # its accounts go too
        with log.calling(txn.put_code):
            await tx.put_code(CodePurpose.EMAIL_SIGN_IN, ada.email, b"right", ada.id, soon)
        with log.calling(txn.use_code):
            # A wrong guess at a live code (two statements), then one at no code (all three).
            await tx.use_code(CodePurpose.EMAIL_SIGN_IN, ada.email, b"wrong", codes, consume=True)
            await tx.use_code(
                CodePurpose.EMAIL_VERIFICATION, "no@code.test", b"x", codes, consume=True
            )
        with log.calling(txn.set_email_verified):
            await tx.set_email_verified(ada.id)
        with log.calling(txn.set_password_hash):
            await tx.set_password_hash(unverified.id, PASSWORD_HASH)  # no credential: inserts
        with log.calling(txn.replace_password_hash):
            await tx.replace_password_hash(ada.id, PASSWORD_HASH, PASSWORD_HASH)
        with log.calling(txn.update_profile):
            await tx.update_profile(ada.id, ProfileUpdate(name="Ada L.", clear_phone_number=True))
        with log.calling(txn.set_phone_number_verified):
            await tx.set_phone_number_verified(ada.id, "+15550101")
        with log.calling(txn.change_email):
            await tx.change_email(ada.id, unique_email())
        with log.calling(PostgresUnitOfWork.count_password_attempt):
            # The first delays the address at once, so the second is refused (its pair's
            # state read); the third, at the cap of 1, is refused by the account.
            key, lock_at_once = new_id().encode(), ThrottlePolicy(lock_after=1)
            await uow.count_password_attempt(key, "192.0.2.1", lock_at_once)
            await uow.count_password_attempt(key, "192.0.2.1", lock_at_once)
            capped = ThrottlePolicy(lock_after=1, disable_after=1)
            await uow.count_password_attempt(key, "192.0.2.2", capped)
            await uow.count_password_attempt(key, "192.0.2.3", capped)
        with log.calling(PostgresUnitOfWork.clear_password_attempts):
            await uow.clear_password_attempts(key, "192.0.2.1")
        with log.calling(txn.unlock_password_attempts):
            await tx.unlock_password_attempts(key)
        with log.calling(txn.add_events):
            await tx.add_events(envelope())
        with log.calling(txn.add_messages):
            message = build_message(
                "verify-email", channel=EMAIL, to=ada.email, expires_at=soon, fields={}
            )
            await tx.add_messages(message)
        with log.calling(txn.update_user_fields):
            await tx.update_user_fields(ada.id, {"role": "admin"})
        with log.calling(txn.lift_lapsed_ban):
            await tx.lift_lapsed_ban(ada.id)
        with log.calling(txn.set_two_factor_enabled):
            await tx.set_two_factor_enabled(ada.id, True, datetime.now(UTC))
        with log.calling(txn.delete_user):
            await tx.delete_user(unverified.id)

    directory = PostgresUserDirectory(engine, timeout_ms=5000)
    with log.calling(PostgresUserDirectory.list_users):
        for query in admin_listings():
            await directory.list_users(query)

    with log.calling(Purger.run_once):
        rules = identity_purge_rules(IdentitySettings.model_construct())
        await Purger(engine, rules, batch_size=10).run_once()


def admin_listings() -> Iterator[UserQuery]:
    """The admin listing as identity reads list-users' parameters: by default, by every sort
    (with an offset), by every search and by every field and operator of its allow-list."""
    samples = {FieldType.TEXT: "ada", FieldType.BOOLEAN: "true", FieldType.TIMESTAMP: "2025-01-01"}
    requests = [ListingRequest()]
    for name, listable in FIELDS.items():
        if listable.sortable:
            requests += [
                ListingRequest(sort_by=name, descending=descending, offset=100)
                for descending in (False, True)
            ]
        value = samples[listable.type]
        requests += [
            ListingRequest(
                filter_field=name,
                filter_operator=operator,
                filter_values=[value, value] if operator is Operator.IN else [value],
            )
            for operator in listable.operators
        ]
    requests += [
        ListingRequest(search_value="ada", search_field=name, search_operator=operator)
        for name in SEARCH_FIELDS
        for operator in SEARCH_OPERATORS
    ]
    for request in requests:
        query = user_query(request)
        assert query is not None, request
        yield query


def session_row(user_id: str, now: datetime) -> Session:
    return Session(
        id=new_id(),
        user_id=user_id,
        expires_at=now + timedelta(days=30),
        created_at=now,
        updated_at=now,
        ip_address="127.0.0.1",
        user_agent="plans",
        dont_remember=False,
    )


def signing_key(now: datetime) -> SigningKey:
    return SigningKey(
        id=new_id(),
        alg="EdDSA",
        crv="Ed25519",
        public_key="{}",
        private_key=Sealed("k1", b"nonce", b"ciphertext"),
        created_at=now,
        expires_at=now + timedelta(days=30),
    )


async def exercise_session(engine: AsyncEngine, log: StatementLog) -> None:
    store = PostgresSessionStore(engine, Outbox(session_tables.outbox, NAMESPACE))
    now = datetime.now(UTC)
    user_id, session = new_id(), session_row(new_id(), now)
    user_id = session.user_id
    tokens = [new_id().encode() for _ in range(4)]
    with log.calling(PostgresSessionStore.create):
        for token in tokens:
            await store.create(session_row(user_id, now), token, envelope())
    with log.calling(PostgresSessionStore.get):
        await store.get(tokens[0])
    with log.calling(PostgresSessionStore.extend):
        await store.extend(tokens[0], now + timedelta(days=31), now)
    with log.calling(PostgresSessionStore.list_for_user):
        await store.list_for_user(user_id, now, 100)
    with log.calling(PostgresSessionStore.delete):
        await store.delete(tokens[1], lambda _: [envelope()])
    with log.calling(PostgresSessionStore.delete_one_for_user):
        await store.delete_one_for_user(user_id, tokens[2], "no-such-id", lambda *_: [envelope()])
    with log.calling(PostgresSessionStore.delete_expired):
        await store.delete_expired(tokens[3])
    with log.calling(PostgresSessionStore.set_active):
        changes = {"active_organization_id": "o", "active_team_id": None}
        await store.set_active(tokens[0], now, changes, lambda _: [envelope()])
        await store.set_active(tokens[0], now, {}, lambda _: [envelope()])
    with log.calling(PostgresSessionStore.delete_for_user):
        events = lambda *_: [envelope()]  # noqa: E731 - one event per session, whatever it is
        await store.delete_for_user(user_id, events, keep=tokens[0], created_before=now)
        await store.delete_for_user(user_id, events)

    keys = PostgresSigningKeyStore(engine)
    with log.calling(PostgresSigningKeyStore.current_or_add):
        # The first call adds a key (and deletes retired ones), the second finds it.
        for _ in range(2):
            await keys.current_or_add(now, signing_key(now), retired_before=now)
    with log.calling(PostgresSigningKeyStore.published_since):
        await keys.published_since(now)

    # What session's bootstrap purges (as tests/integration/test_purge.py restates it).
    rules = [
        PurgeRule(session_tables.sessions, older_than(session_tables.sessions.c.expires_at, DAY)),
        processed_events_rule(session_tables.processed_events, DEFAULTS),
    ]
    with log.calling(Purger.run_once):
        await Purger(engine, rules, batch_size=10).run_once()


async def exercise_audit(engine: AsyncEngine, log: StatementLog) -> None:
    store = PostgresAuditStore(engine)
    user_id = new_id()
    entries = [
        AuditEntry(
            event_id=new_id(),
            type="auth.identity.user.updated.v1",
            occurred_at=datetime.now(UTC),
            producer="identity",
            actor_kind="user",
            actor_user_id=user_id,
            ip="",
            user_agent="",
            user_id=user_id,
            organization_id="",
            session_id="",
            traceparent="",
            payload_json="{}",
        )
        for _ in range(2)
    ]
    with log.calling(PostgresAuditStore.append):
        async with engine.begin() as conn:
            await store.append(conn, entries)
            await store.append(conn, entries[:1])  # stored already: skipped
    now = datetime.now(UTC)
    after = Position(now, 40001)
    with log.calling(PostgresAuditStore.list_entries):
        for event_filter in (
            EventFilter(),
            EventFilter(user_id=user_id),
            EventFilter(user_id=user_id, types=("auth.session.session.created.v1", "x")),
            EventFilter(organization_id="org-7"),
            EventFilter(types=("auth.identity.user.updated.v1",)),
            EventFilter(ip="10.0.7.1"),
            EventFilter(occurred_from=now - DAY, occurred_to=now),
        ):
            await store.list_entries(event_filter, 51, None)
            await store.list_entries(event_filter, 51, after)
    chains = PostgresChainStore(engine)
    async with chains.snapshot() as snapshot:
        with log.calling(PostgresChainSnapshot.anchor):
            await snapshot.anchor()
        with log.calling(PostgresChainSnapshot.head):
            await snapshot.head()
        with log.calling(PostgresChainSnapshot.entries_after):
            await snapshot.entries_after(20000, 40002, 1000)
    with log.calling(PostgresRetention.remove_older_than):
        await PostgresRetention(engine).remove_older_than(timedelta(days=365), 100)
    webhooks, url = PostgresWebhookStore(engine), "https://siem.plans.test/in"
    with log.calling(PostgresWebhookStore.register):
        await webhooks.register(url)
    async with webhooks.exclusive(url):
        with log.calling(PostgresWebhookStore.cursor):
            cursor = await webhooks.cursor(url)
        with log.calling(PostgresWebhookStore.entries_after):
            batch = await webhooks.entries_after(cursor.delivered_sequence - 2, 100)
        with log.calling(PostgresWebhookStore.delivered):
            await webhooks.delivered(url, batch[0].sequence)
        with log.calling(PostgresWebhookStore.failed):
            await webhooks.failed(url, 1, now, "HTTP 503")
        with log.calling(PostgresWebhookStore.dead_letter):
            await webhooks.dead_letter(url, batch[1], 8, "HTTP 503")


async def exercise_mfa_passkeys(engine: AsyncEngine, log: StatementLog) -> None:
    uow = PostgresPasskeyUnitOfWork(engine, Outbox(mfa_tables.outbox, NAMESPACE))
    now, user_id = datetime.now(UTC), new_id()
    passkey = Passkey(
        id=new_id(),
        user_id=user_id,
        name="laptop",
        credential_id=new_id(),
        public_key=b"cose",
        counter=0,
        device_type="singleDevice",
        backed_up=False,
        transports="internal",
        aaguid=None,
        created_at=now,
    )
    challenge = PasskeyChallenge(
        id_hash=new_id().encode(),
        ceremony=Ceremony.AUTHENTICATION,
        challenge=b"challenge",
        user_id=user_id,
        expires_at=now + timedelta(minutes=5),
    )
    txn = PostgresPasskeyTransaction  # the methods called on `tx`
    async with uow.begin() as tx:
        with log.calling(txn.add_challenge):
            await tx.add_challenge(challenge)
        with log.calling(txn.take_challenge):
            await tx.take_challenge(challenge.id_hash)
        with log.calling(txn.add_passkey):
            await tx.add_passkey(passkey)
        with log.calling(txn.passkeys_of):
            await tx.passkeys_of(user_id)
        with log.calling(txn.passkey):
            await tx.passkey(passkey.id)
        with log.calling(txn.passkey_by_credential_id):
            await tx.passkey_by_credential_id(passkey.credential_id)
        with log.calling(txn.advance_counter):
            await tx.advance_counter(passkey.id, 1)
            await tx.advance_counter(passkey.id, 0)  # an authenticator without a counter
        with log.calling(txn.rename_passkey):
            await tx.rename_passkey(passkey.id, "phone")
        with log.calling(txn.add_events):
            await tx.add_events(envelope())
        with log.calling(txn.delete_passkey):
            await tx.delete_passkey(passkey.id)
        with log.calling(txn.delete_user_passkeys):
            await tx.delete_user_passkeys(user_id)


async def exercise_mfa_two_factor(engine: AsyncEngine, log: StatementLog) -> None:
    key_ring = KeyRing.from_spec(new_key_ring_spec())
    uow = PostgresTwoFactorUnitOfWork(engine, Outbox(mfa_tables.outbox, NAMESPACE, key_ring))
    soon = datetime.now(UTC) + timedelta(minutes=10)
    user_id, challenge_hash, scope = new_id(), new_id().encode(), new_id().encode()
    sealed = Sealed("k1", b"nonce", b"ciphertext")
    challenge = NewChallenge(challenge_hash, user_id, "ada@plans.test", False, "email", soon)
    txn = PostgresTwoFactorTransaction  # the methods called on `tx`
    async with uow.begin() as tx:
        with log.calling(txn.now):
            await tx.now()
        with log.calling(txn.lock_or_create_factors):
            await tx.lock_or_create_factors(user_id)
        with log.calling(txn.peek_factors):
            await tx.peek_factors(user_id)
        with log.calling(txn.lock_factors):
            await tx.lock_factors(user_id)
        with log.calling(txn.set_totp):
            await tx.set_totp(user_id, sealed, "Authmesh")
        with log.calling(txn.reseal_totp):
            await tx.reseal_totp(user_id, sealed)
        with log.calling(txn.mark_totp_verified):
            await tx.mark_totp_verified(user_id)
        with log.calling(txn.enable_otp):
            await tx.enable_otp(user_id)
        with log.calling(txn.set_last_totp_step):
            await tx.set_last_totp_step(user_id, 1)
        with log.calling(txn.record_failure):
            await tx.record_failure(user_id, lock_after=10, lock_until=soon)
        with log.calling(txn.clear_failures):
            await tx.clear_failures(user_id)
        with log.calling(txn.replace_backup_codes):
            await tx.replace_backup_codes(user_id, b"salt", [b"code-1", b"code-2"])
        with log.calling(txn.backup_code_state):
            await tx.backup_code_state(user_id, b"code-1")
        with log.calling(txn.use_backup_code):
            await tx.use_backup_code(user_id, b"code-1")
        with log.calling(txn.insert_challenge):
            await tx.insert_challenge(challenge)
        with log.calling(txn.live_challenge):
            await tx.live_challenge(challenge_hash)
        with log.calling(txn.count_challenge_attempt):
            await tx.count_challenge_attempt(challenge_hash)
        with log.calling(txn.consume_challenge):
            await tx.consume_challenge(challenge_hash)
        with log.calling(txn.put_otp):
            await tx.put_otp(scope, user_id, b"code", soon)
        with log.calling(txn.use_otp):
            await tx.use_otp(scope, b"wrong", 5)  # the right guess, the wrong one, the look
            await tx.use_otp(scope, b"code", 5)
            await tx.use_otp(scope, b"code", 5)
        with log.calling(txn.insert_trusted_device):
            await tx.insert_trusted_device(b"device", user_id, soon)
        with log.calling(txn.take_trusted_device):
            await tx.take_trusted_device(b"device", user_id)
        with log.calling(txn.delete_trusted_devices):
            await tx.delete_trusted_devices(user_id)
        with log.calling(txn.add_events):
            await tx.add_events(envelope())
        with log.calling(txn.add_messages):
            message = build_message(
                "two-factor-otp", channel=EMAIL, to="ada@plans.test", expires_at=soon, fields={}
            )
            await tx.add_messages(message)
        with log.calling(txn.delete_two_factor):
            await tx.delete_two_factor(user_id)
    with log.calling(Purger.run_once):
        await Purger(
            engine, mfa_purge_rules(MfaSettings.model_construct()), batch_size=10
        ).run_once()


async def exercise_org(engine: AsyncEngine, log: StatementLog) -> None:
    key_ring = KeyRing.from_spec(new_key_ring_spec())
    uow = PostgresOrgUnitOfWork(engine, Outbox(org_tables.outbox, NAMESPACE, key_ring))
    now = datetime.now(UTC)
    org_id, user_id, team_id, role_id = new_id(), new_id(), new_id(), new_id()
    organization = OrgRecord(org_id, "Acme", f"acme-{org_id}", None, None, now)
    member = OrgMember(new_id(), org_id, user_id, "owner", now)
    invitation = OrgInvitation(
        new_id(), org_id, "ada@plans.test", "member", team_id, "pending", now + DAY, now, user_id
    )
    statements = {"ac": frozenset({"read"})}
    listing = member_query(
        limit=10,
        offset=0,
        sort_by="role",
        sort_direction="desc",
        filter_field="role",
        filter_operator="contains",
        filter_value="owner",
    )
    orgs, members_, invites = PostgresOrganizationRows, PostgresMemberRows, PostgresInvitationRows
    teams_, roles_ = PostgresTeamRows, PostgresRoleRows
    async with uow.begin() as tx:
        calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [
            (orgs.now, ()),
            (orgs.insert_organization, (organization,)),
            (orgs.slug_taken, (organization.slug,)),
            (orgs.organization, (org_id,)),
            (orgs.organization_by_slug, (organization.slug,)),
            (orgs.lock_organization, (org_id,)),
            (orgs.update_organization, (org_id, OrganizationUpdate(name="Acme 2", logo=""))),
            (orgs.organizations_of, (user_id,)),
            (orgs.lock_memberships_of, (user_id,)),
            (orgs.count_memberships, (user_id,)),
            (members_.insert_member, (member,)),
            (members_.member, (org_id, user_id)),
            (members_.member_by_id, (org_id, member.id)),
            (members_.set_member_role, (member.id, "owner,auditor")),
            (members_.count_members, (org_id,)),
            (members_.count_owners, (org_id,)),
            (members_.list_members, (org_id, listing)),
            (members_.memberships_of, (user_id,)),
            (teams_.insert_team, (OrgTeam(team_id, org_id, "Ops", now, now),)),
            (teams_.team, (team_id,)),
            (teams_.rename_team, (team_id, "Dev")),
            (teams_.count_teams, (org_id,)),
            (teams_.teams_of, (org_id,)),
            (
                teams_.insert_team_member,
                (org_id, OrgTeamMember(new_id(), team_id, user_id, None, now)),
            ),
            (teams_.team_member, (team_id, user_id)),
            (teams_.teams_of_user, (user_id,)),
            (teams_.count_team_members, (team_id,)),
            (teams_.team_members, (team_id,)),
            (teams_.set_team_member_role, (team_id, user_id, "auditor")),
            (invites.insert_invitation, (invitation,)),
            (invites.invitation, (invitation.id,)),
            (invites.pending_invitation, (org_id, invitation.email)),
            (invites.count_pending_invitations, (org_id,)),
            (invites.renew_invitation, (invitation.id, "admin", None, now + DAY)),
            (invites.invitations_of, (org_id,)),
            (invites.pending_invitations_to, (invitation.email,)),
            (invites.settle_invitation, (invitation.id, "accepted")),
            (roles_.insert_role, (OrgRole(role_id, org_id, "auditor", statements, now, now),)),
            (roles_.role_by_id, (org_id, role_id)),
            (roles_.role_by_name, (org_id, "auditor")),
            (roles_.roles_of, (org_id,)),
            (roles_.count_roles, (org_id,)),
            (roles_.update_role, (role_id, "reviewer", statements)),
            (roles_.rename_role_holders, (org_id, "auditor", "reviewer")),
            (roles_.role_is_held, (org_id, "reviewer")),
            (roles_.delete_role, (role_id,)),
            (teams_.delete_team_member, (team_id, user_id)),
            (teams_.delete_team, (team_id,)),
            (members_.delete_member, (member,)),
            (PostgresOrgTransaction.add_events, (envelope(),)),
            (
                PostgresOrgTransaction.add_messages,
                (build_message("x", channel=EMAIL, to="a@plans.test", expires_at=now, fields={}),),
            ),
            (orgs.delete_organization, (org_id,)),
        ]
        for method, args in calls:
            with log.calling(method):
                await getattr(tx, method.__name__)(*args)
    reader = PostgresAccessReader(engine)
    for method, args in (
        (PostgresAccessReader.member_role, (org_id, user_id)),
        (PostgresAccessReader.team_role, (org_id, team_id, user_id)),
        (PostgresAccessReader.custom_roles, (org_id,)),
    ):
        with log.calling(method):
            await getattr(reader, method.__name__)(*args)
    with log.calling(Purger.run_once):
        await Purger(engine, org_purge_rules(DEFAULTS), batch_size=10).run_once()


async def exercise_risk(engine: AsyncEngine, log: StatementLog) -> None:
    """The sign-in history: a user's profile, an assessment recorded with what it learns and a
    notice, its pages, an event alone, and the consumers' learning and forgetting."""
    history = PostgresHistory(
        engine, Outbox(risk_tables.outbox, "plans", KeyRing.from_spec(new_key_ring_spec()))
    )
    user_id, now = new_id(), datetime.now(UTC)
    device = b"\x01" * 32
    assessment = RiskAssessment(
        id=new_id(),
        user_id=user_id,
        occurred_at=now,
        ip="81.2.69.142",
        country="GB",
        user_agent="Firefox",
        device="Firefox on Windows",
        method="email",
        result=Score(10, Decision.ALLOW, [Factor("new_device", 10, "a new device")]),
    )
    place = SignInPlace(user_id, now, device, "Firefox on Windows", "GB", 51.5, -0.1)
    unlocated = replace(place, country="", latitude=None, longitude=None)
    with log.calling(PostgresHistory.profile):
        await history.profile(user_id, device, "GB")
    with log.calling(PostgresHistory.record):
        notice = build_message(
            "new-sign-in", channel=EMAIL, to="a@plans.test", expires_at=now, fields={}
        )
        await history.record(assessment, envelope(), learn=place, notice=notice)
        await history.profile(user_id, device, "GB")
        # Without a notice: one statement, with each kind of learning.
        for learn in (place, unlocated, None):
            await history.record(
                replace(assessment, id=new_id()), envelope(), learn=learn, notice=None
            )
    with log.calling(PostgresHistory.page):
        first = await history.page(user_id, 1, "")
        await history.page(user_id, 1, first.next_cursor or "")
    with log.calling(PostgresHistory.publish):
        await history.publish(envelope())
    async with engine.begin() as conn:
        with log.calling(PostgresHistory.record):
            await learn_sign_in(conn, place)
            await learn_sign_in(conn, unlocated)
            await forget_user(conn, user_id)
    with log.calling(Purger.run_once):
        rules = risk_purge_rules(RiskSettings.model_construct())
        await Purger(engine, rules, batch_size=10).run_once()


async def exercise_processed_events(engines: dict[str, AsyncEngine], log: StatementLog) -> None:
    """The purge of processed-event ids, in org, whose stores have no other query."""
    with log.calling(Purger.run_once):
        rule = processed_events_rule(org_tables.processed_events, DEFAULTS)
        await Purger(engines["org"], [rule], batch_size=10).run_once()


DAY = timedelta(days=1)
DEFAULTS = DatabaseServiceSettings.model_construct()


# --- the test --------------------------------------------------------------------------------


async def test_no_repository_query_reads_a_whole_table(
    database_url: str, engines: dict[str, AsyncEngine]
) -> None:
    log = StatementLog()
    for engine in engines.values():
        log.watch(engine)
    await exercise_identity(engines["identity"], log)
    await exercise_session(engines["session"], log)
    await exercise_audit(engines["audit"], log)
    await exercise_mfa_passkeys(engines["mfa"], log)
    await exercise_mfa_two_factor(engines["mfa"], log)
    await exercise_org(engines["org"], log)
    await exercise_risk(engines["risk"], log)
    await exercise_processed_events(engines, log)

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SET enable_seqscan = off")
        explained, scans = 0, []
        for sent in log.sent:
            if not sent.statement.lstrip().upper().startswith(_EXPLAINED):
                continue  # savepoints
            explained += 1
            if bounded_by_timeout(sent):
                continue
            scans += [
                f"{sent.method}: {read}\n    {sent.statement}"
                for read in full_reads(await explain(conn, sent))
            ]
        # The check sees what it is for: a lookup by a column no index has.
        by_image = Sent("probe", "SELECT id FROM identity.users WHERE image = $1::VARCHAR", ("x",))
        assert full_reads(await explain(conn, by_image)) == ["Seq Scan on identity.users"]
    finally:
        await conn.close()
    assert explained > 50
    listing = [sent.statement for sent in log.sent if bounded_by_timeout(sent)]
    assert listing, "the admin listing's exceptions were not exercised"
    timeouts = [
        sent
        for sent in log.sent
        if sent.method == PostgresUserDirectory.list_users.__qualname__
        and "statement_timeout" in sent.parameters
    ]
    assert timeouts, "the admin listing runs without a statement timeout"
    assert scans == [], "\n".join(scans)
    every_method = set().union(*(store_methods(service) for service in DATABASE_SERVICES))
    assert every_method - log.called == set(), "store methods this test does not call"
