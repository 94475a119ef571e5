"""Escalation SMS: the real ``twilio`` client against a fake Twilio API on loopback."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fakes.twilio_api import FakeTwilio
from workers.channels.twilio_sms import (
    OutboxSms,
    ReconcileError,
    Rejected,
    Retryable,
    Sent,
    TwilioSms,
    sms_channel,
)

OSLO = ZoneInfo("Europe/Oslo")
TO = "+4791234567"
FROM = "+4759440000"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def sms(fake: FakeTwilio) -> TwilioSms:
    return TwilioSms(fake.account_sid, fake.auth_token, FROM, api_base=fake.base_url, timeout=5)


def test_send_reaches_twilio_and_returns_its_sid(fake: FakeTwilio, sms: TwilioSms) -> None:
    result = sms.send(TO, "Kritisk: sentralbord nede", status_callback="https://desk.example/cb")
    [stored] = fake.sent()
    assert result == Sent(sid=stored["sid"], status="queued")
    assert stored["sid"].startswith("SM") and len(stored["sid"]) == 34
    assert (stored["to"], stored["from"], stored["body"]) == (
        TO,
        FROM,
        "Kritisk: sentralbord nede",
    )
    assert stored["status_callback"] == "https://desk.example/cb"
    assert abs(stored["received_at"] - time.time()) < 5


def test_messaging_service_sid_is_sent_as_such(fake: FakeTwilio) -> None:
    service = "MG" + "0" * 32
    sms = TwilioSms(fake.account_sid, fake.auth_token, service, api_base=fake.base_url)
    assert isinstance(sms.send(TO, "hei"), Sent)
    [stored] = fake.sent()
    assert stored["from"] is None
    assert stored["status_callback"] is None


def test_url_rewrite_only_touches_twilio_api_hosts(sms: TwilioSms, fake: FakeTwilio) -> None:
    rebase = sms.http_client.rebase
    assert rebase("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1") == (
        f"{fake.base_url}/2010-04-01/Accounts/AC1/Messages.json?x=1"
    )
    assert rebase("https://api.dublin.ie1.twilio.com/2010-04-01/A.json") == (
        f"{fake.base_url}/2010-04-01/A.json"
    )
    assert (
        rebase("https://example.com/2010-04-01/A.json") == "https://example.com/2010-04-01/A.json"
    )


def test_wrong_auth_token_is_rejected(fake: FakeTwilio) -> None:
    sms = TwilioSms(fake.account_sid, "wrong", FROM, api_base=fake.base_url)
    result = sms.send(TO, "hei")
    assert isinstance(result, Rejected)
    assert result.code == 20003
    assert "auth token" in result.error and "401" in result.error
    assert fake.sent() == []


def test_invalid_number_is_rejected_with_twilio_code(fake: FakeTwilio, sms: TwilioSms) -> None:
    result = sms.send("91234567", "hei")
    assert isinstance(result, Rejected)
    assert result.code == 21211
    assert "not a valid phone number" in result.error
    assert fake.sent() == []


def test_missing_body_is_rejected(sms: TwilioSms) -> None:
    result = sms.send(TO, "")
    assert isinstance(result, Rejected) and result.code == 21602


def test_injected_400_is_rejected_not_retried(fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.fail_next(400, code=21610)
    result = sms.send(TO, "hei")
    assert isinstance(result, Rejected) and result.code == 21610
    assert "400" in result.error


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_throttling_are_retryable(
    fake: FakeTwilio, sms: TwilioSms, status: int
) -> None:
    fake.fail_next(status)
    result = sms.send(TO, "hei")
    assert isinstance(result, Retryable)
    assert str(status) in result.error
    assert fake.sent() == []
    # the fault is used up: the next attempt goes through
    assert isinstance(sms.send(TO, "hei"), Sent)
    assert len(fake.sent()) == 1
    assert fake.requests == 2


def test_slow_twilio_times_out_as_retryable(fake: FakeTwilio) -> None:
    sms = TwilioSms(fake.account_sid, fake.auth_token, FROM, api_base=fake.base_url, timeout=0.5)
    fake.delay_next(1.5)
    started = time.monotonic()
    result = sms.send(TO, "hei")
    elapsed = time.monotonic() - started
    assert isinstance(result, Retryable)
    assert "may have been sent" in result.error
    assert elapsed < 1.2


def test_accepted_then_dropped_is_retryable_and_reconcilable(
    fake: FakeTwilio, sms: TwilioSms
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    fake.accept_then_drop()
    result = sms.send(TO, "Eskalering #42")
    assert isinstance(result, Retryable)
    [stored] = fake.sent()  # Twilio has it although we never heard back
    assert sms.find_sent(TO, "Eskalering #42", since) == stored["sid"]


def test_refused_connection_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the send: nothing listens
    sms = TwilioSms("AC" + "0" * 32, "t", FROM, api_base=f"http://127.0.0.1:{port}", timeout=2)
    result = sms.send(TO, "hei")
    assert isinstance(result, Retryable)
    assert "connection" in result.error


def test_find_sent_matches_body_recipient_and_time(fake: FakeTwilio, sms: TwilioSms) -> None:
    # an Oslo-time `since`: the client would send local wall time marked "Z" unless converted
    since = datetime.now(OSLO) - timedelta(seconds=5)
    sent = sms.send(TO, "Eskalering #42")
    assert isinstance(sent, Sent)
    sms.send(TO, "Eskalering #43")
    sms.send("+4790000000", "Eskalering #44")
    assert sms.find_sent(TO, "Eskalering #42", since) == sent.sid
    assert sms.find_sent(TO, "Eskalering #44", since) is None  # other recipient
    assert sms.find_sent(TO, "Eskalering", since) is None  # body must be equal
    later = datetime.now(OSLO) + timedelta(minutes=5)
    assert sms.find_sent(TO, "Eskalering #42", later) is None  # sent before `since`


def test_find_sent_sends_utc_date_filter(fake: FakeTwilio, sms: TwilioSms) -> None:
    since = datetime(2026, 3, 30, 11, 0, 7, 900_000, tzinfo=OSLO)  # UTC+2 in summer time
    sms.find_sent(TO, "x", since)
    sent_request = sms.http_client._test_only_last_request
    assert sent_request is not None
    assert sent_request.params is not None
    assert sent_request.params["DateSent>"] == "2026-03-30T09:00:07Z"
    assert sent_request.params["To"] == TO
    assert str(sent_request.url).startswith(fake.base_url)


def test_find_sent_rejects_naive_since(sms: TwilioSms) -> None:
    with pytest.raises(ValueError):
        sms.find_sent(TO, "x", datetime(2026, 3, 30, 9, 0))


@pytest.mark.parametrize("status", [500, 401])
def test_find_sent_raises_when_it_cannot_ask(fake: FakeTwilio, sms: TwilioSms, status: int) -> None:
    fake.fail_next(status)
    with pytest.raises(ReconcileError):
        sms.find_sent(TO, "x", datetime.now(UTC))


def test_find_sent_raises_on_timeout(fake: FakeTwilio) -> None:
    sms = TwilioSms(fake.account_sid, fake.auth_token, FROM, api_base=fake.base_url, timeout=0.5)
    fake.delay_next(1.5)
    with pytest.raises(ReconcileError):
        sms.find_sent(TO, "x", datetime.now(UTC))


def test_fetch_one_message_through_the_real_client(fake: FakeTwilio, sms: TwilioSms) -> None:
    sent = sms.send(TO, "hei")
    assert isinstance(sent, Sent)
    fetched = sms.client.messages(sent.sid).fetch()
    assert (fetched.sid, fetched.to, fetched.body, fetched.num_segments) == (
        sent.sid,
        TO,
        "hei",
        "1",
    )
    assert fetched.date_created is not None and fetched.date_created.tzinfo is not None


def test_twenty_concurrent_sends_all_succeed(fake: FakeTwilio, sms: TwilioSms) -> None:
    results: list[object] = [None] * 20
    barrier = threading.Barrier(20)

    def send(i: int) -> None:
        barrier.wait()
        results[i] = sms.send(TO, f"melding {i}")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(r, Sent) for r in results), results
    stored = fake.sent()
    assert len(stored) == 20
    assert len({m["sid"] for m in stored}) == 20
    assert {r.sid for r in results if isinstance(r, Sent)} == {m["sid"] for m in stored}
    assert sorted(m["body"] for m in stored) == sorted(f"melding {i}" for i in range(20))


def test_no_phone_number_reaches_the_logs(sms: TwilioSms, caplog: pytest.LogCaptureFixture) -> None:
    # the twilio client logs query parameters (the To number of a list call) at INFO
    assert logging.getLogger("twilio.http_client").getEffectiveLevel() >= logging.WARNING
    with caplog.at_level(logging.DEBUG):
        sms.send(TO, "hei")
        sms.find_sent(TO, "hei", datetime.now(UTC) - timedelta(minutes=1))
    assert not [r for r in caplog.records if TO in r.getMessage()]


def test_outbox_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the outbox opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    outbox = OutboxSms()
    first, second = outbox.send(TO, "hei"), outbox.send(TO, "hei")
    assert isinstance(first, Sent) and isinstance(second, Sent)
    assert first.status == "outbox" and first.sid.startswith("OUTBOX-")
    assert first.sid != second.sid
    assert outbox.find_sent(TO, "hei", datetime.now(UTC)) is None


def test_sms_channel_picks_the_backend(fake: FakeTwilio) -> None:
    twilio = sms_channel(fake.account_sid, fake.auth_token, FROM, api_base=fake.base_url)
    assert isinstance(twilio, TwilioSms)
    assert isinstance(twilio.send(TO, "hei"), Sent)
    assert len(fake.sent()) == 1
    for partial in [
        (None, None, None),
        (fake.account_sid, None, FROM),
        (fake.account_sid, fake.auth_token, ""),
        ("", fake.auth_token, FROM),
    ]:
        assert isinstance(sms_channel(*partial, api_base=fake.base_url), OutboxSms)


def test_fake_stops_answering_after_stop() -> None:
    with FakeTwilio() as server:
        sms = TwilioSms(server.account_sid, server.auth_token, FROM, api_base=server.base_url)
        assert isinstance(sms.send(TO, "hei"), Sent)
    assert isinstance(sms.send(TO, "hei"), Retryable)  # even over the kept-alive connection
