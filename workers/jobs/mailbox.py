"""Poll the support mailbox (``IMAP_URL``) into the inbox: accept first, ingest in batches.

Each unseen message is accepted exactly as the e-mail webhook accepts a posted one
(``intake_batch.accept_email``: the webhook's check and delivery key, one committed
INSERT, receipt time = now), and only then marked ``\\Seen``. A crash between the two
leaves the message unseen: the next poll stores it again, and the batch settles the copy
onto the first one's ticket (Message-ID), whose receipt time stays the clock's start.
After the poll the intake job is rung once (``workers.jobs.intake.accepted``), so the
tickets are made by the same batches as the webhooks', with their escalations due on
receipt fired at once; the sweeper takes whatever a lost job left.
"""

from __future__ import annotations

import logging

from triage.store.intake_batch import accept_email
from workers.channels.imap import PollResult, poll_mailbox
from workers.channels.payloads import check_email
from workers.context import WorkerContext, context
from workers.jobs.intake import accepted

log = logging.getLogger(__name__)


def poll_support_mailbox(ctx: WorkerContext | None = None) -> PollResult | None:
    """One poll (the RQ job the sweeper enqueues); None when no mailbox is configured."""
    ctx = ctx or context()
    url = ctx.settings.imap_url
    if url is None:
        return None
    stored: list[int] = []

    def accept(raw: bytes) -> None:
        with ctx.sessions() as session:
            item = accept_email(session, raw, ctx.clock(), check_email)
        if item is not None:
            stored.append(item.item_id)

    try:
        result = poll_mailbox(url, accept)
    finally:
        # Also when the poll broke off (a flag refused, the server gone): what was stored
        # is in the inbox and must not wait for the sweeper.
        accepted(ctx, stored)
    log.info(
        "mailbox poll: fetched=%d stored=%d failed=%d", result.fetched, result.stored, result.failed
    )
    return result
