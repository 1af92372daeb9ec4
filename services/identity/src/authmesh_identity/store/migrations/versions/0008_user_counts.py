"""The number of users, kept up to date by the database, so that an unfiltered admin listing
(list-users) answers its `total` without counting the whole users table.

The count is split over 16 rows that add up to it. A trigger on identity.users, once per
statement (so that a COPY of 50,000 users is one update, not 50,000), adds the rows a statement
inserted and takes away those it deleted, in the stripe of the connection's backend: the count
moves in the same transaction as the users, so it is exact, and concurrent sign-ups on different
connections update different rows instead of queueing on one. A transaction always touches the
one stripe of its connection, so two of them can never lock stripes in opposite orders.
TRUNCATE empties every stripe. The table starts from a count taken while sign-ups wait (SHARE
lock), so that none slips in between the count and the trigger.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SCHEMA = "identity"
TRIGGERS = ("users_counted_on_insert", "users_counted_on_delete", "users_counted_on_truncate")

_COUNT_FUNCTION = """
CREATE FUNCTION identity.count_users() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO delta FROM inserted;
    ELSE
        SELECT -count(*) INTO delta FROM deleted;
    END IF;
    IF delta <> 0 THEN
        UPDATE identity.user_counts SET users = users + delta
         WHERE stripe = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END
$$
"""
_ZERO_FUNCTION = """
CREATE FUNCTION identity.zero_user_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE identity.user_counts SET users = 0 WHERE users <> 0;
    RETURN NULL;
END
$$
"""
_TRIGGERS = [
    """CREATE TRIGGER users_counted_on_insert AFTER INSERT ON identity.users
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
        EXECUTE FUNCTION identity.count_users()""",
    """CREATE TRIGGER users_counted_on_delete AFTER DELETE ON identity.users
        REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT
        EXECUTE FUNCTION identity.count_users()""",
    """CREATE TRIGGER users_counted_on_truncate AFTER TRUNCATE ON identity.users
        FOR EACH STATEMENT EXECUTE FUNCTION identity.zero_user_counts()""",
]


def upgrade() -> None:
    op.create_table(
        "user_counts",
        sa.Column("stripe", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("users", sa.BigInteger, nullable=False),
        schema=SCHEMA,
    )
    op.execute("LOCK TABLE identity.users IN SHARE MODE")
    op.execute(
        "INSERT INTO identity.user_counts (stripe, users)"
        " SELECT n, CASE WHEN n = 0 THEN (SELECT count(*) FROM identity.users) ELSE 0 END"
        " FROM generate_series(0, 15) AS n"  # the 16 stripes of count_users()
    )
    op.execute(_COUNT_FUNCTION)
    op.execute(_ZERO_FUNCTION)
    for trigger in _TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON identity.users")
    op.execute("DROP FUNCTION identity.zero_user_counts()")
    op.execute("DROP FUNCTION identity.count_users()")
    op.drop_table("user_counts", schema=SCHEMA)
