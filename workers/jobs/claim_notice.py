"""Send a notice of breach (reklamasjon) to the vendor over SMTP, from the notify queue.

The notice was marked queued by the manager's request (``triage.store.claim_notices``);
this job claims it, sends it and records the message. The sweeper sends a queued notice
whose job was lost (a flushed Redis) the same way, and the claim makes a second run a
no-op.
"""

from __future__ import annotations

from triage.store.claim_notices import deliver
from workers.channels.smtp import sender
from workers.context import WorkerContext, context


def send_claim_notice(notice_id: int) -> str:
    return send_notice(context(), notice_id)


def send_notice(ctx: WorkerContext, notice_id: int) -> str:
    """The notice's status afterwards: ``sent``, ``failed`` (kept with the error), or the
    status another sender left it in."""
    with ctx.sessions() as session:
        status = deliver(
            session,
            ctx.catalog,
            notice_id,
            ctx.clock(),
            customer=ctx.settings.customer,
            sender=ctx.settings.desk_address,
            send=sender(ctx.settings.smtp_url),
        )
    return status
