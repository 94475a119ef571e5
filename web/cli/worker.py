"""The RQ worker class of the desk (``rq worker --worker-class web.cli.worker.DeskWorker``).

RQ's SimpleWorker (no fork per job: jobs are short, the pool stays warm), plus the one
thing a worker cannot make itself: the intake job parses payloads with the web app's
parsers (``web.inbound_payloads``), and ``workers/`` never imports ``web/``. This is the
composition root that hands them in, as ``triage sweeper`` does for the sweeper.
"""

from __future__ import annotations

from typing import Any

from rq.worker import SimpleWorker

from config.settings import Settings
from web.inbound_payloads import parsers
from workers.context import context


class DeskWorker(SimpleWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        context(parsers=parsers(Settings.from_env()))
