"""Fuzzing the paths of issue 15's serving findings: the managers' number fields (fees,
overrides, outage ids) never answer 500 and never store an out-of-range figure; the
access log's masking never shows a query value; the body-read deadline hands a prompt
body through whole, however it is chunked, and cuts a stalled one off."""

from __future__ import annotations

import socket
import threading
import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.exceptions import RequestTimeout

from sla.ranges import check_amount, check_users
from tests.fuzz.support import fuzz, sessions_of
from tests.web.ui_support import csrf_token, logged_in
from triage.store.fees import usable
from triage.store.models import FeeChange
from web.access_log import mask_query, mask_url
from web.body_deadline import DeadlineStream

HTTPS = "https://localhost"

numberish = st.one_of(
    st.integers(-(2**90), 2**90).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.from_regex(r"-?[0-9]{0,40}([.,][0-9]{0,12})?([eE][+-]?[0-9]{1,7})?", fullmatch=True),
    st.text(max_size=12),
)


@pytest.fixture
def manager(app: Flask) -> FlaskClient:
    return logged_in(app, "manager")


@fuzz(40)
@given(users=numberish, base=numberish, per_user=numberish)
def test_fee_form_never_500_and_never_stores_out_of_range(
    app: Flask, manager: FlaskClient, users: str, base: str, per_user: str
) -> None:
    form = {
        "contract": "nettsoft-mbn",
        "valid_from": "2027-01-01",
        "active_users": users,
        "base_monthly": base,
        "per_user_monthly": per_user,
        "csrf_token": csrf_token(manager, "/catalog"),
    }
    response = manager.post("/catalog/fees", data=form, base_url=HTTPS)
    assert response.status_code in (303, 422), response.status_code
    with sessions_of(app)() as session:
        rows = session.query(FeeChange).all()
        assert all(usable(row) for row in rows)
        for row in rows:
            session.delete(row)
        session.commit()


@fuzz(40)
@given(level=numberish, staff_id=numberish, outage=st.integers(0, 2**100))
def test_override_and_outage_numbers_never_500(
    manager: FlaskClient, level: str, staff_id: str, outage: int
) -> None:
    form = {
        "level": level,
        "staff_id": staff_id,
        "starts": "2026-03-02T08:00",
        "ends": "2026-03-02T16:00",
        "csrf_token": csrf_token(manager, "/oncall"),
    }
    assert manager.post("/oncall/overrides", data=form, base_url=HTTPS).status_code == 422
    token = csrf_token(manager, "/availability")
    answer = manager.post(
        f"/availability/outages/{outage}/delete", data={"csrf_token": token}, base_url=HTTPS
    )
    assert answer.status_code == 404


@fuzz(200)
@given(value=st.decimals(allow_nan=True, allow_infinity=True), users=st.integers())
def test_ranges_accept_only_what_prices_safely(value: Decimal, users: int) -> None:
    try:
        amount = check_amount("x", value)
    except ValueError:
        pass
    else:  # what passes prices without an arithmetic error, exactly to the øre
        assert (amount * 12 * 3).quantize(Decimal("0.01")) == amount * 36
    try:
        check_users("n", users)
    except ValueError:
        assert not 0 <= users <= 10_000_000


secret = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=6, max_size=30
).map(lambda s: "Zq" + s)  # distinctive: never part of a parameter name or the mask


@fuzz(300)
@given(
    pairs=st.lists(
        st.tuples(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), secret), min_size=1, max_size=5
    )
)
def test_a_masked_query_shows_names_and_never_a_value(pairs: list[tuple[str, str]]) -> None:
    query = urlencode(pairs)
    masked = mask_query(query)
    url = mask_url(f"https://desk.example/tickets?{query}")
    for name, value in pairs:
        assert f"{name}=*" in masked
        for shown in (masked, url):
            assert value not in shown and urlencode({"v": value})[2:] not in shown


@fuzz(20)
@given(body=st.binary(min_size=1, max_size=5000), chunks=st.lists(st.integers(1, 700), max_size=8))
def test_the_deadline_passes_a_prompt_body_whole(body: bytes, chunks: list[int]) -> None:
    server, client = socket.socketpair()
    try:

        def send() -> None:
            rest = body
            for size in chunks:
                client.sendall(rest[:size])
                rest = rest[size:]
                time.sleep(0.001)
            client.sendall(rest)

        sender = threading.Thread(target=send)
        sender.start()
        stream = DeadlineStream(
            server.makefile("rb"), server, idle=2.0, deadline=time.monotonic() + 5
        )
        received = b""
        while len(received) < len(body):
            received += stream.read(len(body) - len(received))
        sender.join()
        assert received == body
    finally:
        server.close()
        client.close()


def test_the_deadline_cuts_off_a_stalled_body() -> None:
    server, client = socket.socketpair()
    try:
        client.sendall(b"{")
        stream = DeadlineStream(
            server.makefile("rb"), server, idle=0.2, deadline=time.monotonic() + 5
        )
        assert stream.read(1) == b"{"
        started = time.monotonic()
        with pytest.raises(RequestTimeout):
            stream.read(10)
        assert time.monotonic() - started < 1.0
        with pytest.raises(RequestTimeout):  # past the whole-body deadline: at once
            DeadlineStream(server.makefile("rb"), server, 1.0, time.monotonic() - 1).read(1)
    finally:
        server.close()
        client.close()
