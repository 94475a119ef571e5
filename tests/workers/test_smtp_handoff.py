"""Vendor hand-off: the forwarded report reaches a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default
from zoneinfo import ZoneInfo

import pytest

from config.catalog import load_catalog
from tests.smtp_server import Collect
from triage.handoff import AttachmentInfo, check_handoff, forward_message, missing_contents
from workers.channels.smtp import SmtpTarget, send_email

OSLO = ZoneInfo("Europe/Oslo")


def test_forwarded_report_arrives_with_the_ticket_tag(smtp: tuple[str, Collect]) -> None:
    url, handler = smtp
    contract = load_catalog().get("nettsoft-mbn")
    message = forward_message(
        ticket_id=42,
        contract=contract,
        desk_address="helpdesk@example.no",
        subject="Sentralbord\r\nBcc: evil@example.com nede",
        text="Hele bedriften mangler telefoni.",
        received=datetime(2026, 3, 30, 9, 0, tzinfo=OSLO),
        now=datetime(2026, 3, 30, 9, 5, tzinfo=UTC),
    )
    send_email(url, message)
    assert len(handler.messages) == 1
    got = email.message_from_bytes(handler.messages[0].as_bytes(), policy=default)
    assert got["To"] == "support@nettsoft.no"
    assert got["Subject"].startswith("[#42] Sentralbord")
    assert "Bcc" not in got  # a CR/LF in the subject cannot smuggle a header
    assert "Hele bedriften mangler telefoni." in got.get_content()


def test_pindena_report_names_what_is_missing_and_the_desk_deadline() -> None:
    contract = load_catalog().get("pindena")
    received = datetime(2026, 3, 31, 10, 0, tzinfo=OSLO)  # Tuesday
    bare = check_handoff(contract, received, "Påmeldingen feiler", [])
    assert bare.missing == ("activity id", "screenshot", "steps showing the fault is reproducible")
    assert bare.forward_by == datetime(2026, 4, 1, 16, 0, tzinfo=OSLO)
    assert any("no support e-mail" in note for note in bare.notes)
    full = check_handoff(
        contract,
        received,
        "Aktivitets-ID: 4711. Feilen skjer hver gang, se vedlagt.",
        [AttachmentInfo("feil.png", "image/png")],
    )
    assert full.missing == ()


def test_sensio_requirements() -> None:
    required = load_catalog().get("sensio-velferd").fault_report_contents
    text = "Isolert feil, reproduserbar: alarm fra rom 3 kommer ikke fram. Konfigurasjon: v2.1."
    missing = missing_contents(required, text, [AttachmentInfo("server.log", "text/plain")])
    assert missing == ["screenshots"]


def test_forwarding_without_a_vendor_address_is_refused() -> None:
    with pytest.raises(ValueError, match="no support e-mail"):
        forward_message(
            ticket_id=1,
            contract=load_catalog().get("mobile-worker"),
            desk_address="helpdesk@example.no",
            subject="x",
            text="y",
            received=datetime(2026, 3, 30, 9, 0, tzinfo=OSLO),
            now=datetime(2026, 3, 30, 9, 0, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.no", SmtpTarget("mail.example.no", 25, False, False, None, None)),
        (
            "smtps://u%40x:p%2Fw@mail.example.no",
            SmtpTarget("mail.example.no", 465, True, False, "u@x", "p/w"),
        ),
        (
            "smtp://u:p@mail.example.no:587?starttls=1",
            SmtpTarget("mail.example.no", 587, False, True, "u", "p"),
        ),
    ],
)
def test_smtp_url(url: str, expected: SmtpTarget) -> None:
    assert SmtpTarget.parse(url) == expected


def test_bad_smtp_url_is_named() -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpTarget.parse("http://mail.example.no")
