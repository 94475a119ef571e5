"""Fixtures for the workers' channel tests: a real Dovecot IMAP server (see ``dovecot.py``).

Without ``/usr/sbin/dovecot`` the IMAP tests are skipped with the reason, except in CI
(``CI=true``), where a missing server fails them, so a green CI always means the poller ran
against a real IMAP server. ``.ci/setup-system.sh`` installs it (Debian's dovecot-imapd).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.workers.dovecot import DOVECOT, Dovecot, Mailbox


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot per test session (per xdist worker), stopped at the end of the session."""
    if not DOVECOT.exists():
        reason = f"{DOVECOT} is missing: install dovecot-imapd (.ci/setup-system.sh does)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"Dovecot is required in CI: {reason}")
        pytest.skip(reason)
    server = Dovecot.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    """A fresh, empty folder of the test user, so tests sharing the server never meet."""
    return dovecot.mailbox(f"triage-{uuid.uuid4().hex[:12]}")
