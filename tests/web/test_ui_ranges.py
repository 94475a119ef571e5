"""Issue 15, findings 6 and 14: numbers out of range in the managers' forms are refused
with a 4xx naming the field, never a 500 (the database's integer range, Decimal's
exponent range); values stored before these checks never break the penalty pages; a fee
change can be undone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.ui_support import csrf_token, desk_of, logged_in
from triage.store.models import FeeChange as FeeChangeRow
from triage.store.models import Staff

HTTPS = "https://localhost"
HUGE = ("9223372036854775808", "1" + "0" * 30, "-9223372036854775809")


@pytest.fixture
def manager(app: Flask) -> FlaskClient:
    return logged_in(app, "manager")


def _post(client: FlaskClient, path: str, form: dict[str, str], page: str = "/oncall") -> int:
    data = dict(form, csrf_token=csrf_token(client, page))
    return client.post(path, data=data, base_url=HTTPS).status_code


def _staff(app: Flask) -> int:
    with desk_of(app).sessions() as session:
        person = Staff(
            name="Ola Vakt", phone="+4791234567", active=True, created_at=datetime.now(UTC)
        )
        session.add(person)
        session.commit()
        return person.id


@pytest.mark.parametrize("value", HUGE)
def test_override_ids_and_levels_beyond_the_database_are_refused(
    app: Flask, manager: FlaskClient, value: str
) -> None:
    staff_id = str(_staff(app))
    form = {
        "level": "1",
        "starts": "2026-03-02T08:00",
        "ends": "2026-03-02T16:00",
        "staff_id": staff_id,
        "reason": "bytte",
    }
    assert _post(manager, "/oncall/overrides", dict(form, staff_id=value)) == 422
    assert _post(manager, "/oncall/overrides", dict(form, level=value)) == 422


@pytest.mark.parametrize("value", HUGE[:2])
def test_outage_ids_beyond_the_database_are_404(manager: FlaskClient, value: str) -> None:
    assert _post(manager, f"/availability/outages/{value}/delete", {}, "/availability") == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("active_users", "1" + "0" * 30),
        ("active_users", "9223372036854775808"),
        ("base_monthly", "1e999999"),
        ("base_monthly", "1e30"),
        ("per_user_monthly", "1E+999999"),
        ("per_user_monthly", "0.001"),
        ("base_monthly", "-5"),
    ],
)
def test_fee_figures_out_of_range_are_refused_naming_the_field(
    manager: FlaskClient, field: str, value: str
) -> None:
    form = {
        "contract": "nettsoft-mbn",
        "valid_from": "2026-07-01",
        "active_users": "55",
        field: value,
    }
    data = dict(form, csrf_token=csrf_token(manager, "/catalog"))
    response = manager.post("/catalog/fees", data=data, base_url=HTTPS)
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)
    assert "1e999999" not in manager.get("/catalog", base_url=HTTPS).get_data(as_text=True)


def _stored_bad_fee(app: Flask, base: str = "1e999999") -> None:
    """A fee change stored before the checks existed (as the attack left it)."""
    with desk_of(app).sessions() as session:
        session.add(
            FeeChangeRow(
                contract_id="nettsoft-mbn",
                valid_from=date(2026, 1, 1),
                active_users=40,
                base_monthly=base,
                per_user_monthly=None,
                changed_by="mallory",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()


@pytest.mark.parametrize("stored", ["1e999999", "NaN", "Infinity", "abc", "-7"])
def test_a_stored_bad_fee_never_breaks_the_penalty_pages(
    app: Flask, manager: FlaskClient, stored: str
) -> None:
    _stored_bad_fee(app, stored)
    for path in (
        "/penalties?quarter=2026Q1",
        "/reports/summary.csv?quarter=2026Q1",
        "/penalties/nettsoft-mbn/2026Q1/letter",
        "/catalog",
    ):
        response = manager.get(path, base_url=HTTPS)
        assert response.status_code in (200, 404), (path, response.status_code)


def test_a_manager_can_undo_a_fee_change(app: Flask, manager: FlaskClient) -> None:
    form = {"contract": "nettsoft-mbn", "valid_from": "2026-07-01", "active_users": "55"}
    assert _post(manager, "/catalog/fees", form, "/catalog") == 303
    with desk_of(app).sessions() as session:
        (row,) = session.query(FeeChangeRow).all()
        change_id = row.id
    html = manager.get("/catalog", base_url=HTTPS).get_data(as_text=True)
    assert f"/catalog/fees/{change_id}/delete" in html  # the undo button
    assert _post(manager, f"/catalog/fees/{change_id}/delete", {}, "/catalog") == 303
    with desk_of(app).sessions() as session:
        assert session.query(FeeChangeRow).count() == 0
    assert _post(manager, f"/catalog/fees/{change_id}/delete", {}, "/catalog") == 404
    assert _post(manager, f"/catalog/fees/{HUGE[0]}/delete", {}, "/catalog") == 404
    agent = logged_in(app, "agent", "agent9")
    assert _post(agent, "/catalog/fees/1/delete", {}, "/") == 403
