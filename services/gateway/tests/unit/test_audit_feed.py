"""The audit log's gateway side, pure parts: the CSV export's cells, the feed's per-connection
filters and fan-out (a slow reader is cut off, the rest go on), and the curated types."""

import csv
import io

from authmesh.audit.v1 import audit_pb2
from authmesh.identity.v1 import identity_pb2
from authmesh.session.v1 import session_pb2
from authmesh_gateway.feed import hub
from authmesh_gateway.feed.documents import (
    CSV_COLUMNS,
    csv_rows,
    ndjson_rows,
    security_activity_types,
)
from authmesh_gateway.feed.hub import FeedHub
from authmesh_gateway.routes.audit_feed import _matches
from authmesh_kit.events.catalogue import (
    EMAIL_VERIFICATION_REQUESTED,
    PASSWORD_CHANGED,
    SESSION_CREATED,
    SIGN_IN_FAILED,
    USER_CREATED,
)
from authmesh_kit.events.envelope import Envelope, build_envelope
from authmesh_kit.events.nats_link import NatsLink


def stored_entry(**fields: str) -> audit_pb2.AuditEntry:
    entry = audit_pb2.AuditEntry(
        event_id="e-1", type=SESSION_CREATED.type, sequence=7, payload_json='{"method":"email"}'
    )
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.occurred_at.FromSeconds(1_700_000_000)
    entry.recorded_at.FromSeconds(1_700_000_001)
    return entry


def test_csv_cells_that_a_spreadsheet_would_run_are_defused() -> None:
    text = csv_rows(
        [stored_entry(user_agent='=HYPERLINK("http://evil")', ip="+1"), stored_entry()],
        header=True,
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    row = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert row["userAgent"] == '\'=HYPERLINK("http://evil")' and row["ip"] == "'+1"
    assert row["payload"] == '{"method":"email"}' and row["sequence"] == "7"
    assert row["occurredAt"] == "2023-11-14T22:13:20Z"
    assert dict(zip(CSV_COLUMNS, rows[2], strict=True))["userAgent"] == ""


def test_ndjson_is_one_exact_entry_per_line() -> None:
    text = ndjson_rows([stored_entry(user_agent="=x"), stored_entry()])
    assert text.count("\n") == 2 and '"userAgent":"=x"' in text


def test_the_security_activity_is_sign_ins_and_account_changes() -> None:
    types = security_activity_types()
    assert {SESSION_CREATED.type, SIGN_IN_FAILED.type, PASSWORD_CHANGED.type} <= set(types)
    assert USER_CREATED.type not in types and EMAIL_VERIFICATION_REQUESTED.type not in types


def envelope_for(user_id: str, ip: str = "203.0.113.1") -> Envelope:
    envelope = build_envelope(
        SESSION_CREATED, session_pb2.SessionCreated(user_id=user_id), user_id=user_id
    )
    envelope.actor.ip = ip
    return envelope


def test_a_feed_filter_matches_every_field_it_sets() -> None:
    accept = _matches(audit_pb2.EventFilter(user_id="u-1", types=[SESSION_CREATED.type]))
    assert accept(envelope_for("u-1"))
    assert not accept(envelope_for("u-2"))
    other_type = build_envelope(
        USER_CREATED, identity_pb2.UserCreated(user_id="u-1"), user_id="u-1"
    )
    assert not accept(other_type)
    by_ip = _matches(audit_pb2.EventFilter(ip="198.51.100.9"))
    assert by_ip(envelope_for("u-3", ip="198.51.100.9")) and not by_ip(envelope_for("u-3"))


def test_a_slow_listener_is_cut_off_and_the_others_keep_receiving() -> None:
    feed = FeedHub(NatsLink("nats://127.0.0.1:1", "gateway"), "test")
    slow = feed.listen(lambda _: True, lambda _: False)
    mine = feed.listen(lambda e: e.subject.user_id == "u-1", lambda _: False)
    ending = feed.listen(lambda _: True, lambda e: e.subject.user_id == "u-9")
    assert slow is not None and mine is not None and ending is not None

    feed.publish(envelope_for("u-9"))
    assert ending.ended.is_set() and ending.messages.empty()
    for _ in range(hub.QUEUE_SIZE + 1):
        feed.publish(envelope_for("u-2"))
    assert slow.overflowed.is_set() and slow.messages.qsize() == hub.QUEUE_SIZE
    feed.publish(envelope_for("u-1"))
    assert mine.messages.qsize() == 1 and not mine.overflowed.is_set()
    assert slow.messages.qsize() == hub.QUEUE_SIZE  # no longer listening
