"""One-line errors for the command line."""

from __future__ import annotations

import sys

import click

EXIT_USAGE = 2


def fail(message: str) -> int:
    """Print ``triage: <message>`` as a single line and return the usage exit status."""
    one_line = " ".join(message.split())
    print(f"triage: {one_line}", file=sys.stderr)
    return EXIT_USAGE


class BadArgument(click.ClickException):
    """A client mistake: exit 2 with one line naming the argument."""
