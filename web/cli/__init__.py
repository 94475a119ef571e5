"""The ``triage`` console command: a thin adapter from arguments to the domain and back.

Output is JSON (or CSV where asked) on stdout. Every client mistake exits with status 2 and
one line on stderr that names the bad argument; a batch reports bad lines and goes on.
Commands are grouped by module (``sla``, later ``db``, ``import``, ``report``, ``up``) and
registered here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from web.cli.data_commands import classify, db_group, import_command, report
from web.cli.desk_commands import sms, sweeper, up
from web.cli.errors import fail
from web.cli.oncall_commands import oncall
from web.cli.retention_commands import retention
from web.cli.sla_commands import sla
from web.cli.token_commands import tokens
from web.cli.user_commands import users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Support-ticket triage and vendor SLA desk."""


for command in (
    sla,
    db_group,
    import_command,
    report,
    classify,
    tokens,
    oncall,
    sms,
    sweeper,
    up,
    users,
    retention,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        print("triage: aborted", file=sys.stderr)
        return 130
    except click.ClickException as exc:
        return fail(exc.format_message())
    return result if isinstance(result, int) else 0
