"""``triage up``, ``triage sweeper`` and ``triage sms``: running the desk.

``triage up`` is the embedded default in one command: SQLite in the data dir, a Redis
server as a child process (``workers.embedded_redis``), migrations, an RQ worker with its
scheduler, the minute sweeper and the web app (gunicorn), all stopped by one Ctrl-C.
Production runs the same processes from the Procfile instead.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import click
from sqlalchemy.orm import Session

from config.catalog import Catalog, load_catalog
from config.settings import Settings
from triage.phone import InvalidPhone, mask_phone, normalise_phone
from triage.store import db, sms_outbox
from triage.store.sms_replies import receive_sms
from triage.store.tokens import create_token
from web.cli.demo import demo_users, load_demo, load_history
from web.cli.output import emit_json
from web.formats import iso
from workers.queues import QUEUES

FORM_TYPE = "application/x-www-form-urlencoded"  # what Twilio posts
DEMO_TOKEN_LIFETIME = timedelta(days=1)
WORKER_CLASS = "web.cli.worker.DeskWorker"  # SimpleWorker, context made at start


def _logging() -> None:
    logging.basicConfig(
        level=os.environ.get("TRIAGE_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


#: The web process's settings (workers, access log): the Procfile's ``web`` uses them too.
GUNICORN_CONFIG = ("--config", "python:config.gunicorn")


def web_argv(host: str, port: int, workers: int | None = None) -> list[str]:
    """The web process's command line, as the Procfile's ``web`` runs it, on ``host``;
    ``workers`` overrides the config's count (the load bench)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        *GUNICORN_CONFIG,
        "--bind",
        f"{host}:{port}",
        *(["--workers", str(workers)] if workers is not None else []),
        "--no-control-socket",  # its default is one path per user (~/.gunicorn)
        "web.app:create_app()",
    ]


def worker_argv(redis_url: str) -> list[str]:
    """The RQ worker command line, as the Procfile's ``worker`` runs it."""
    return [
        sys.executable,
        "-m",
        "rq.cli",
        "worker",
        "--with-scheduler",
        "--worker-class",
        WORKER_CLASS,
        "--url",
        redis_url,
        *QUEUES,
    ]


@click.command(name="sweeper")
@click.option("--once", is_flag=True, help="One pass, then exit (for cron or a test).")
def sweeper(once: bool) -> int:
    """Every minute: fire what is due and not yet sent, resend what was lost (needs REDIS_URL
    for the scheduling part; the database is the source of truth)."""
    from workers import sweeper as sweeping  # noqa: PLC0415 - imports the Twilio client
    from workers.context import context  # noqa: PLC0415

    _logging()
    sweeping.run(context(), once=once)
    return 0


@click.group(name="sms")
def sms() -> None:
    """The SMS outbox."""


@sms.command(name="list")
@click.option("--status", default=None)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
def sms_list(status: str | None, limit: int) -> int:
    """The latest SMS, newest first (numbers masked)."""
    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    with db.session_factory(settings.database_url)() as session:
        for row in sms_outbox.listing(session, status=status, limit=limit):
            emit_json(
                {
                    "id": row.id,
                    "to": mask_phone(row.recipient),
                    "status": row.status,
                    "provider": row.provider,
                    "tickets": row.ticket_ids,
                    "body": row.body,
                    "created_at": iso(row.created_at),
                    "sent_at": iso(row.sent_at),
                    "error": row.error,
                }
            )
    return 0


@sms.command(name="reply")
@click.option("--from", "sender", required=True, help="The number the answer comes from.")
@click.option("--body", required=True, help="The SMS text, e.g. 'ACK 12' or 'START 12'.")
def sms_reply(sender: str, body: str) -> int:
    """Answer a page as if by SMS (ACK, START, HELP), through the same path as Twilio's
    webhook: for the outbox backend and the demo, where no real SMS can come in."""
    try:
        number = normalise_phone(sender)
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="--from") from None
    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    catalog = load_catalog(settings.catalog_path)
    sid = f"CLI{uuid.uuid4().hex}"  # Twilio's are "SM" + 32 hex: never the same
    raw = urlencode({"MessageSid": sid, "From": number, "Body": body}).encode("ascii")
    with db.session_factory(settings.database_url)() as session:
        answer = receive_sms(
            session,
            catalog,
            raw,
            FORM_TYPE,
            sid,
            number,
            body,
            datetime.now(UTC),
            catalog.calendars[settings.roster_calendar],
        )
    emit_json({"from": mask_phone(number), "outcome": answer.outcome, "reply": answer.reply})
    return 0


@click.command(name="up")
@click.option("--demo", is_flag=True, help="Load demo staff, roster and tickets that page soon.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def up(demo: bool, port: int, host: str, data_dir: Path | None) -> int:
    """Run the whole desk locally: Redis, worker with scheduler, sweeper, web app."""
    from workers.embedded_redis import EmbeddedRedis  # noqa: PLC0415
    from workers.supervisor import ChildSpec, Supervisor  # noqa: PLC0415

    _logging()
    if data_dir is not None:
        os.environ["TRIAGE_DATA_DIR"] = str(data_dir.resolve())
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db.upgrade(settings.database_url)
    catalog = load_catalog(settings.catalog_path)
    state_file = settings.data_dir / "supervisor.json"
    with (
        EmbeddedRedis(settings.data_dir) as server,
        Supervisor(state_file=state_file) as supervisor,
    ):
        env = {
            **os.environ,
            "REDIS_URL": server.url,
            "TRIAGE_DATA_DIR": str(settings.data_dir),
            "TRIAGE_SUPERVISOR_STATE": str(state_file),  # /readyz reports a dead part
            # plain HTTP on this machine: a Secure session cookie would never come back
            # (unless someone already chose otherwise)
            "TRIAGE_SECURE_COOKIES": os.environ.get("TRIAGE_SECURE_COOKIES", "0"),
        }
        os.environ["REDIS_URL"] = server.url
        if demo:
            _load_demo(settings, catalog, server.url, f"http://{host}:{port}")
        # each is restarted with backoff when it dies, the others go on (issue 15)
        sweeper_argv = [sys.executable, "-m", "web.cli", "sweeper"]
        supervisor.start(ChildSpec("worker", worker_argv(server.url), env, restart=True))
        supervisor.start(ChildSpec("sweeper", sweeper_argv, env, restart=True))
        supervisor.start(ChildSpec("web", web_argv(host, port), env, restart=True))
        click.echo(
            f"triage: desk running at http://{host}:{port}/ (data in {settings.data_dir}); "
            "Ctrl-C stops it",
            err=True,
        )
        return supervisor.run()


def demo_credentials(session: Session, now: datetime) -> tuple[str, str]:
    """The demo's admin API token (it expires after ``DEMO_TOKEN_LIFETIME``: a token
    printed to a terminal ends up in scrollback and logs) and the demo users' password."""
    _row, token = create_token(session, "demo", "admin", now, DEMO_TOKEN_LIFETIME)
    return token, demo_users(session, now)


def _load_demo(settings: Settings, catalog: Catalog, redis_url: str, base: str) -> None:
    from workers.enqueue import wire_scheduling  # noqa: PLC0415

    sessions = db.session_factory(settings.database_url)
    wire_scheduling(sessions, redis_url)
    now = datetime.now(UTC)
    history = load_history(sessions, catalog, now)
    click.echo(
        f"triage: history loaded (config/examples, the last two quarters: "
        f"{history.imported} new, {history.updated} updated tickets)",
        err=True,
    )
    result = load_demo(sessions, catalog, now)
    with sessions() as session:
        token, password = demo_credentials(session, now)
    click.echo(
        f"triage: demo loaded ({result.imported} new, {result.updated} updated tickets; "
        f"rejected: {result.rejected or 'none'})",
        err=True,
    )
    click.echo(
        f"triage: log in at {base}/login as demo-admin, demo-manager or demo-agent, "
        f"password {password}\n"
        "triage: see the SMS outbox with\n"
        f"  curl -H 'Authorization: Bearer {token}' {base}/api/v1/sms\n"
        f"  (the token expires in {DEMO_TOKEN_LIFETIME.days} day; make lasting ones with "
        "triage tokens create)\n"
        "  or: triage sms list",
        err=True,
    )
