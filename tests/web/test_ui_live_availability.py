"""Live availability: a monitored service goes down (Alertmanager) and the availability
page shows the month so far, with the outage still going on counted until now."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import Clock
from tests.web.test_inbound_monitoring import TOKEN, alert, payload, post
from tests.web.ui_support import logged_in


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"TRIAGE_ALERTMANAGER_TOKEN": TOKEN}


def live_row(page: str, contract: str) -> dict[str, str]:
    section = page.split(f'data-contract="{contract}"', 1)[1].split("</section>", 1)[0]
    row = section.split('data-month-live="', 1)[1].split("</tr>", 1)[0]
    return {
        key: re.sub(r"<[^>]+>", "", value).strip()
        for key, value in re.findall(r'data-k="([a-z_]+)"[^>]*>(.*?)</td>', row, re.S)
    }


def test_the_month_so_far_counts_an_open_outage_until_now(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    # now: Tuesday 2026-03-10 09:15 Oslo. Core time Mon-Fri 07-21, Sat 09-18: March 2-6
    # 5 x 14 h, Saturday 7th 9 h, Monday 9th 14 h, today 07:00-09:15 2.25 h = 95.25 h.
    assert post(client, payload(alert(starts="2026-03-10T07:15:00Z"))).status_code == 200
    manager = logged_in(app, "manager")
    page = manager.get("/availability?month=2026-03", base_url="https://localhost")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    row = live_row(html, "nettsoft-vps-access")
    assert row["core_hours_elapsed"].startswith("95.25 av 344")
    assert row["downtime_hours_so_far"] == "1"  # 08:15-09:15, still going on
    assert row["uptime_pct_so_far"] == "98.95 %"  # 94.25 / 95.25
    assert row["heading_for_pct"].startswith("på vei mot 10 %")
    assert "pågår" in html  # the register shows the outage as ongoing
    clock.now += timedelta(hours=2)  # two more hours down: 3 of 97.25 h
    manager = logged_in(app, "manager", "manager2")  # the first session has idled out
    later = live_row(
        manager.get("/availability?month=2026-03", base_url="https://localhost").get_data(
            as_text=True
        ),
        "nettsoft-vps-access",
    )
    assert later["downtime_hours_so_far"] == "3" and later["uptime_pct_so_far"] == "96.92 %"
    assert later["heading_for_pct"].startswith("på vei mot 30 %")
