"""The ``triage`` console command: a thin adapter from arguments to the domain and back.

Output is JSON (or CSV where asked) on stdout. Every client mistake exits with status 2 and
one line on stderr that names the bad argument; a batch reports bad lines and goes on.

Commands are registered by name and imported only when they run (:class:`LazyGroup`):
``triage classify`` and ``triage sla deadline`` are called from scripts once per ticket,
and importing the web stack, SQLAlchemy and RQ for them cost ~1.5 s a call.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from web.cli.errors import fail

#: Command name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "sla": "web.cli.sla_commands:sla",
    "db": "web.cli.data_commands:db_group",
    "import": "web.cli.data_commands:import_command",
    "report": "web.cli.data_commands:report",
    "classify": "web.cli.classify_commands:classify",
    "tokens": "web.cli.token_commands:tokens",
    "oncall": "web.cli.oncall_commands:oncall",
    "sms": "web.cli.desk_commands:sms",
    "sweeper": "web.cli.desk_commands:sweeper",
    "up": "web.cli.desk_commands:up",
    "users": "web.cli.user_commands:users",
    "retention": "web.cli.retention_commands:retention",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use, by name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        self.add_command(command, cmd_name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Support-ticket triage and vendor SLA desk."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        print("triage: aborted", file=sys.stderr)
        return 130
    except click.ClickException as exc:
        return fail(exc.format_message())
    except (ValueError, OverflowError) as exc:
        # A value no option check caught (a year the calendar cannot reach, a period no
        # contract terms cover, a file that is not UTF-8): still one line and exit 2, never
        # a traceback. The options' own checks name the argument; this names the problem.
        return fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return result if isinstance(result, int) else 0
