"""Persistence and the use-cases: the only part of ``triage`` that touches a database.

Holds the SQLAlchemy 2 tables (``models``), engines and sessions with Alembic migrations
(``db``, ``migrations/``), and the use-cases the adapters call by name: intake
(``intake``: store raw, parse, ingest, quarantine, reprocess), the agents' actions and the
queue (``ticket_actions``), escalation planning and firing (``escalations``) and what the
pages show of it (``escalation_facts``), SMS (``sms_outbox``, ``sms_replies``), the roster,
users and API tokens, reports, outages, fees, personal data and retention. Every
``select(...)`` of the project is written here; ``web`` and ``workers`` read and change
rows only through these functions.

May import: ``sla``, ``config``, pure ``triage``, SQLAlchemy and Alembic (and what a
use-case needs, e.g. werkzeug's password hashing). Never ``workers`` or ``web``.
"""
