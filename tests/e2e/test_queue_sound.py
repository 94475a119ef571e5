"""The queue's opt-in alerts for a new critical ticket, in Debian's chromium: with the
desktop notification and the sound switched on, a critical ticket registered through
``POST /api/v1/tickets`` brings a notification and a tone at the queue's next refresh; a
non-critical one brings neither; the sound choice is remembered across a reload, and once
switched off there is no tone (the notification stays).

Headless chromium has no speaker, and a permission prompt cannot be clicked: the page gets
stand-ins for the browser's ``AudioContext`` and ``Notification`` before its scripts run,
which count what the queue asks of them (oscillators started, notifications shown)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.conftest import LiveDesk, now
from triage.store import db
from triage.store.tokens import create_token
from triage.store.users import create_user

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"

#: what the queue uses of Web Audio and of notifications, counting into window.alerts
STAND_INS = """
window.alerts = { tones: 0, notes: [] };
class Param { setValueAtTime() {} exponentialRampToValueAtTime() {} }
window.AudioContext = class {
  constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
  resume() { return Promise.resolve(); }
  createGain() { return { gain: new Param(), connect() {} }; }
  createOscillator() {
    return { frequency: {}, connect() {}, stop() {},
             start() { window.alerts.tones += 1; } };
  }
};
window.Notification = class {
  constructor(title) { window.alerts.notes.push(title); }
  static requestPermission() {  // granted, and kept for the origin like a browser does
    sessionStorage.setItem("granted", "1");
    window.Notification.permission = "granted";
    return Promise.resolve("granted");
  }
};
window.Notification.permission = sessionStorage.getItem("granted") ? "granted" : "default";
"""
#: oscillators one tone starts (two short beeps)
BEEPS = 2


def _api(page: Any, desk: LiveDesk, token: str, subject: str, severity: str) -> int:
    answer = page.request.post(
        f"{desk.url}/api/v1/tickets",
        headers={"Authorization": f"Bearer {token}"},
        data={
            "subject": subject,
            "text": f"{subject}. Ringte inn nå.",
            "channel": "phone",
            "requester": {"name": "Siri Resepsjon", "phone": "+47 912 34 567"},
            "contract": "nettsoft-vps-terminal",
            "severity": severity,
        },
    )
    assert answer.status == 201, answer.text()
    return int(answer.json()["id"])


def _refreshed_with(page: Any, ticket: int) -> None:
    """The queue's own refresh (what its 15 s timer calls), until the ticket is listed."""
    page.evaluate("window.queueRefresh()")
    page.wait_for_selector(f"#queue-lists tr[data-ticket='{ticket}']", state="attached")


def _alerts(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("window.alerts"))


def test_a_new_critical_ticket_rings_and_notifies(live_desk: LiveDesk, browser_page: Any) -> None:
    sessions = db.session_factory(live_desk.database_url)
    with sessions() as session:
        create_user(session, "kari", "Kari Vakt", "agent", PASSWORD, now())
        _row, token = create_token(session, "telefonen", "agent", now(), timedelta(hours=1))
    page = browser_page
    page.add_init_script(STAND_INS)
    page.goto(f"{live_desk.url}/login")
    page.fill("input[name=username]", "kari")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_desk.url}/")

    sound, notify = page.locator("#sound-toggle"), page.locator("#notify-toggle")
    assert sound.inner_text() == "Spill en lyd ved nye kritiske saker"
    assert sound.get_attribute("aria-pressed") == "false"
    sound.click()  # on: a tone to hear what it sounds like
    assert sound.get_attribute("aria-pressed") == "true"
    assert page.evaluate("localStorage.getItem('triage.sound')") == "1"
    notify.click()
    page.wait_for_function("document.getElementById('notify-toggle').ariaPressed === 'true'")
    assert _alerts(page) == {"tones": BEEPS, "notes": []}

    critical = _api(page, live_desk, token, "Terminalserveren er nede", "critical")
    _refreshed_with(page, critical)
    assert _alerts(page) == {
        "tones": 2 * BEEPS,
        "notes": [f"#{critical} Terminalserveren er nede"],
    }

    calm = _api(page, live_desk, token, "Ny bruker på terminalserveren", "non-critical")
    _refreshed_with(page, calm)
    assert _alerts(page)["tones"] == 2 * BEEPS  # nothing new that is critical

    # remembered in this browser; switched off, a critical ticket only notifies
    page.reload()
    assert sound.get_attribute("aria-pressed") == "true"
    sound.click()
    assert sound.get_attribute("aria-pressed") == "false"
    assert page.evaluate("localStorage.getItem('triage.sound')") is None
    again = _api(page, live_desk, token, "Terminalserveren er nede igjen", "critical")
    _refreshed_with(page, again)
    assert _alerts(page) == {"tones": 0, "notes": [f"#{again} Terminalserveren er nede igjen"]}
