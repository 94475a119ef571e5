"""The RQ worker class of the desk (``rq worker --worker-class web.cli.worker.DeskWorker``).

RQ's SimpleWorker (no fork per job: jobs are short, the pool stays warm), with the
process's worker context made when the worker starts rather than by its first job. The
context builds its own payload parsers (``workers.channels.payloads``, the one registry
the web app parses with too), so nothing needs handing in any more.
"""

from __future__ import annotations

from typing import Any

from rq.worker import SimpleWorker

from workers.context import context


class DeskWorker(SimpleWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        context()
