"""``triage sms reply --from NUMBER --body TEXT``: an answer to a page fed through the same
path as Twilio's SMS webhook (DESIGN.md, fixed), for the outbox backend and the demo.

Kari is alone on call at level 1 from 2026-11-23 08:00 (whatever the hour, "always"), so
she is entitled to answer for any ticket now; the ticket is imported from a CSV row.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from config.settings import Settings
from tests.cli.test_oncall_cli import KARI, Run, add, ok, refused, set_rotation, triage
from triage.store import db
from triage.store.models import InboxItem, SmsInbound, Ticket

__all__ = ["triage"]  # the fixture, shared with test_oncall_cli

CSV = (
    "external_id,contract,received_at,responded_at,severity,channel,subject,body\n"
    "A1,nettsoft-vps-access,2026-12-01T09:00,,critical,email,VPS-Access nede,"
    "Ingen kommer inn\n"
)


def _on_call(triage: Run, tmp_path: Path) -> int:
    add(triage, KARI)
    ok(set_rotation(triage, 1, "2026-11-23T08:00", KARI[0]))
    rows = tmp_path / "tickets.csv"
    rows.write_text(CSV, encoding="utf-8")
    [imported] = ok(triage("import", str(rows)))
    assert imported["imported"] == 1
    with db.session_factory(Settings.from_env().database_url)() as session:
        return session.scalars(select(Ticket.id)).one()


def test_ack_then_start_answer_like_the_webhook_and_keep_the_raw_sms(
    triage: Run, tmp_path: Path
) -> None:
    ticket_id = _on_call(triage, tmp_path)
    [acked] = ok(triage("sms", "reply", "--from", KARI[1], "--body", f"ACK {ticket_id}"))
    assert acked["outcome"] == "ack"
    assert str(ticket_id) in acked["reply"]
    assert acked["from"] != KARI[2]  # masked, as every number the command prints
    [started] = ok(triage("sms", "reply", "--from", KARI[2], "--body", f"start {ticket_id}"))
    assert started["outcome"] == "start"
    with db.session_factory(Settings.from_env().database_url)() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.responded_at is not None
        kinds = [e.kind for e in ticket.events]
        assert kinds.count("sms_received") == 2 and "response_started" in kinds
        items = session.scalars(select(InboxItem).where(InboxItem.channel == "sms")).all()
        assert [i.status for i in items] == ["processed", "processed"]
        assert all(b"Body=" in bytes(i.payload) for i in items)
        answers = session.scalars(select(SmsInbound.outcome)).all()
        assert sorted(answers) == ["ack", "start"]


def test_an_unknown_number_changes_nothing_and_gets_no_reply(triage: Run, tmp_path: Path) -> None:
    ticket_id = _on_call(triage, tmp_path)
    [answer] = ok(triage("sms", "reply", "--from", "+4799999999", "--body", f"ACK {ticket_id}"))
    assert answer == {"from": answer["from"], "outcome": "unknown sender", "reply": None}
    with db.session_factory(Settings.from_env().database_url)() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert "sms_received" not in [e.kind for e in ticket.events]


def test_help_and_a_bad_number(triage: Run, tmp_path: Path) -> None:
    _on_call(triage, tmp_path)
    [answer] = ok(triage("sms", "reply", "--from", KARI[1], "--body", "hjelp"))
    assert answer["outcome"] in ("help", "unknown") and answer["reply"]
    assert "--from" in refused(triage("sms", "reply", "--from", "not a number", "--body", "ACK"))
