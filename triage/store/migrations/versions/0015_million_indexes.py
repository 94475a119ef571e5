"""million indexes: the queue of every status in its order, breach candidates (PostgreSQL only)

Revision ID: 0015_million_indexes
Revises: 0014_forward_outbox
Create Date: 2026-12-07 03:00:00.000000

The queue's default order (``time_left``: breached, running, met, without a deadline;
critical first; by deadline, receipt, id) sorted the whole table for every page of
``?status=alle``: at a million tickets ~1 M rows through a top-N sort, and PostgreSQL's
JIT compiling the statement on top (4-5 s a page on the shared 2-core machine; the last
page 17 s). ``triage.store.ticket_actions._by_time_left`` now reads the tickets in four
parts, each already in that order, and merges them; two partial indexes give the order:

- ``ix_tickets_settled_order``: answered tickets and tickets without a deadline, whose
  group never changes, by (group, critical first, due_at, received_at, id) written as
  the very expressions the statement orders by;
- ``ix_tickets_unanswered_order``: unanswered, not paused tickets with a deadline, by
  (critical first, due_at, received_at, id); the statement reads the overdue ones and
  the running ones from it as two parts.

Unanswered paused tickets (judged at their pause start) are few and sorted per page.

``ix_tickets_breach_candidates``: the tickets that are or may become breaches (a
deadline, and a late response or none), by contract and receipt: the penalties page and
the claim letters ask for the breaches of a few contracts over up to two years
(``triage.store.report_figures.breach_facts``, which states the same condition). Read
through ``ix_tickets_contract_received`` that was ~125,000 tickets from all over the
table for ~9,000 breaches (0.45 s); the candidates are ~1 in 10 tickets.

The first two cover every ticket but those paused ones, once (~48 MB at a million
tickets); those two were built in 2.0 s on the bench's million tickets (the third, added
later, was built by hand on the same data and not timed; it is ~1/10 of the table), each
holding writes to ``tickets`` while it builds: at that size, run the release's ``alembic
upgrade`` out of hours. Not declared on the models (expression
indexes the schema comparison cannot compare; ``POSTGRESQL_ONLY_INDEXES``); no-op on
SQLite, where the same statement runs over the small embedded desk without them.
"""

from alembic import op

revision = '0015_million_indexes'
down_revision = '0014_forward_outbox'
branch_labels = None
depends_on = None

CRITICAL_FIRST = "(CASE WHEN severity = 'critical' THEN 0 ELSE 1 END)"
SETTLED_GROUP = "(CASE WHEN due_at IS NULL THEN 3 WHEN responded_at > due_at THEN 0 ELSE 2 END)"

INDEXES = {
    "ix_tickets_settled_order": (
        f"{SETTLED_GROUP}, {CRITICAL_FIRST}, due_at, received_at, id",
        "responded_at IS NOT NULL OR due_at IS NULL",
    ),
    "ix_tickets_unanswered_order": (
        f"{CRITICAL_FIRST}, due_at, received_at, id",
        "responded_at IS NULL AND due_at IS NOT NULL AND status <> 'paused'",
    ),
    "ix_tickets_breach_candidates": (
        "contract_id, received_at",
        "due_at IS NOT NULL AND (responded_at > due_at OR responded_at IS NULL)",
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (columns, where) in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON tickets ({columns}) WHERE {where}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
