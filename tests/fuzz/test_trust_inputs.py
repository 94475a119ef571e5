"""Issue 15's new inputs, many examples (no app, no database): what an attacker controls
in a relay's Authentication-Results, in a subject or name, and in a chosen password never
breaks the functions that judge it, and what they let through holds their promise."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.support import fuzz
from triage.intake.email_message import parse_email
from triage.intake.message import from_email
from triage.intake.sender_auth import sender_verdict
from triage.passwords import MIN_LENGTH, common_passwords, password_problem
from triage.shown_text import BIDI_FORMATTING, neutralise, neutralise_line

_METHODS = st.sampled_from(["dmarc", "dkim", "spf", "arc", "x-y", "DKIM", "DMARC"])
_RESULTS = st.sampled_from(["pass", "fail", "none", "neutral", "softfail", "PASS"])
_PROPS = st.sampled_from(["header.from", "header.d", "header.i", "smtp.mailfrom", "foo"])
_DOMAINS = st.sampled_from(["nettsoft.no", "mail.nettsoft.no", "evil.example", "no", "", "@x"])
_CLAUSE = st.builds(
    lambda m, r, p, d, junk: f"{m}={r} {p}={d}{junk}",
    _METHODS,
    _RESULTS,
    _PROPS,
    _DOMAINS,
    st.text(max_size=20),
)
_HEADER = st.one_of(
    st.text(max_size=300),
    st.builds(lambda clauses: "mx;" + ";".join(clauses), st.lists(_CLAUSE, max_size=6)),
)


@fuzz(400)
@given(st.lists(_HEADER, max_size=4), _DOMAINS | st.text(max_size=40))
@example(["mx; dkim=pass header.d=no"], "nettsoft.no")
@example(["mx; dmarc=pass header.from=nettsoft.no.evil.example"], "nettsoft.no")
def test_sender_verdict_is_total_and_needs_an_aligned_pass(headers: list[str], domain: str) -> None:
    verdict = sender_verdict(headers, domain)
    assert verdict in ("pass", "fail", None)
    assert (verdict is None) == (not headers)
    if verdict == "pass":
        assert "pass" in headers[0].lower()  # only the relay's own header can vouch


@fuzz(200)
@given(st.text(max_size=200), st.text(max_size=200))
def test_an_authentication_results_header_in_any_email_parses(header: str, subject: str) -> None:
    raw = (
        "From: Nettsoft <support@nettsoft.no>\r\nTo: d@desk.example.no\r\n"
        f"Subject: {subject}\r\nMessage-ID: <a@b>\r\nAuthentication-Results: {header}\r\n"
        "\r\ntekst"
    ).encode("utf-8", "surrogatepass")
    try:
        parsed = parse_email(raw)
    except ValueError:
        return
    assert from_email(parsed).sender_auth in ("pass", "fail", None)


@fuzz(500)
@given(st.text(max_size=300))
@example("Faktura \u202efdp.exe\x07")
def test_neutralised_text_has_no_direction_tricks_or_controls(text: str) -> None:
    shown = neutralise(text)
    assert not BIDI_FORMATTING.search(shown)
    assert all(ch in "\t\r\n" or ch.isprintable() or not _is_control(ch) for ch in shown)
    assert neutralise(shown) == shown  # stable: neutralising twice changes nothing
    line = neutralise_line(text)
    assert "\n" not in line and "\r" not in line and "\t" not in line


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or ch in "\u2028\u2029"


@fuzz(400)
@given(st.text(max_size=60), st.text(max_size=30))
@example(" " * 14, "kari")
@example("password1234", "kari")
def test_an_accepted_password_keeps_every_rule(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is None:
        assert len(password) >= MIN_LENGTH
        assert password.strip().lower() not in common_passwords()
        assert username.strip().lower() != password.strip().lower() or not username.strip()
