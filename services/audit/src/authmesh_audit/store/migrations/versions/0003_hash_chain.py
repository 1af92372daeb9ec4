"""The hash chain (sequence, prev_hash, hash on every entry, the chain head), retention anchors,
SIEM webhook cursors and dead letters, and the indexes of the filtered listing.

Entries stored before this revision are chained in the order they were recorded.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

from authmesh_audit.domain.chain import entry_hash
from authmesh_audit.domain.model import AuditEntry

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "audit"
_BATCH = 1000
_UNCHAINED = """
SELECT event_id, type, occurred_at, producer, actor_kind, actor_user_id, ip, user_agent, user_id,
       organization_id, session_id, traceparent, payload::text AS payload_json, recorded_at
FROM audit.entries WHERE sequence IS NULL ORDER BY recorded_at, event_id LIMIT :n
"""


def _chain_existing_entries() -> tuple[int, str]:
    bind = op.get_bind()
    sequence, prev_hash = 0, ""
    while True:
        rows = bind.execute(
            sa.text(_UNCHAINED),
            {"n": _BATCH},
        ).all()
        if not rows:
            return sequence, prev_hash
        for row in rows:
            values = dict(row._mapping)
            values.pop("recorded_at")
            entry = AuditEntry(**values)
            sequence += 1
            digest = entry_hash(entry, sequence, prev_hash)
            bind.execute(
                sa.text(
                    "UPDATE audit.entries SET sequence = :s, prev_hash = :p, hash = :h"
                    " WHERE event_id = :id"
                ),
                {"s": sequence, "p": prev_hash, "h": digest, "id": entry.event_id},
            )
            prev_hash = digest


def upgrade() -> None:
    for name, kind in (("sequence", sa.BigInteger), ("prev_hash", sa.Text), ("hash", sa.Text)):
        op.add_column("entries", sa.Column(name, kind, nullable=True), schema=SCHEMA)
    op.create_table(
        "chain_head",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.CheckConstraint("id = 1", name="chain_head_one_row"),
        schema=SCHEMA,
    )
    sequence, head_hash = _chain_existing_entries()
    op.get_bind().execute(
        sa.text("INSERT INTO audit.chain_head (id, sequence, hash) VALUES (1, :s, :h)"),
        {"s": sequence, "h": head_hash},
    )
    for name in ("sequence", "prev_hash", "hash"):
        op.alter_column("entries", name, nullable=False, schema=SCHEMA)
    # The time of each append, not of its transaction's start (store/repository.py).
    op.alter_column(
        "entries", "recorded_at", server_default=sa.text("clock_timestamp()"), schema=SCHEMA
    )
    op.drop_index("entries_user_id_event_id", "entries", schema=SCHEMA)
    op.create_index("entries_sequence", "entries", ["sequence"], unique=True, schema=SCHEMA)
    op.create_index("entries_occurred_at", "entries", ["occurred_at", "sequence"], schema=SCHEMA)
    for name, column in (
        ("entries_user", "user_id"),
        ("entries_organization", "organization_id"),
        ("entries_type", "type"),
        ("entries_ip", "ip"),
    ):
        op.create_index(name, "entries", [column, "occurred_at", "sequence"], schema=SCHEMA)
    op.create_table(
        "anchors",
        sa.Column("sequence", sa.BigInteger, primary_key=True),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("removed", sa.BigInteger, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "webhook_cursors",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("delivered_sequence", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        schema=SCHEMA,
    )
    op.create_table(
        "webhook_dead_letters",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("sequence", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column(
            "failed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("webhook_dead_letters", schema=SCHEMA)
    op.drop_table("webhook_cursors", schema=SCHEMA)
    op.drop_table("anchors", schema=SCHEMA)
    for name in (
        "entries_ip",
        "entries_type",
        "entries_organization",
        "entries_user",
        "entries_occurred_at",
        "entries_sequence",
    ):
        op.drop_index(name, "entries", schema=SCHEMA)
    op.create_index("entries_user_id_event_id", "entries", ["user_id", "event_id"], schema=SCHEMA)
    op.alter_column("entries", "recorded_at", server_default=sa.text("now()"), schema=SCHEMA)
    op.drop_table("chain_head", schema=SCHEMA)
    for name in ("hash", "prev_hash", "sequence"):
        op.drop_column("entries", name, schema=SCHEMA)
