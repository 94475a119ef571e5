"""A real Dovecot IMAP server for tests: started as a child process, stopped without orphans.

Why a real server and not a fake: the poller's correctness rests on server behaviour a fake
would only restate (``BODY.PEEK[]`` not setting \\Seen, ``UID SEARCH UNSEEN``, literal
framing of 8-bit bodies, how a refused login looks). Each test session starts its own
Dovecot on free loopback ports with a throwaway configuration under a temporary directory:
IMAP only, a passwd-file with test users, Maildir storage, every runtime path (base_dir,
state_dir, logs) inside the directory. TLS uses a self-signed certificate made with the
``openssl`` command that Debian's ``dovecot-core`` depends on.

Everything here talks to the server over IMAP (``imaplib``): messages are delivered with
APPEND and flags are read back with UID FETCH, the same protocol the poller uses.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DOVECOT = Path("/usr/sbin/dovecot")
HOST = "127.0.0.1"


@dataclass(frozen=True)
class User:
    name: str
    password: str

    def url(self, scheme: str, port: int, folder: str | None = None, query: str = "") -> str:
        """The ``IMAP_URL`` for this user, credentials percent-encoded as a person would."""
        auth = f"{quote(self.name, safe='')}:{quote(self.password, safe='')}"
        path = f"/{quote(folder, safe='')}" if folder is not None else ""
        return f"{scheme}://{auth}@{HOST}:{port}{path}{'?' + query if query else ''}"


# A plain user for most tests, and one whose name and password need percent-encoding in a
# URL and whose password is not ASCII (so the poller must use AUTHENTICATE PLAIN, UTF-8).
TESTER = User("tester", "s3cret-Pass")
AGENT = User("agent@example.no", 'p@ss:w/rd?#%ø "q\\')


class DovecotError(RuntimeError):
    """The server did not start; the message carries the tail of Dovecot's log."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _command(conf: Path) -> list[str]:
    """``dovecot -F -c conf``, behind util-linux's ``setpriv --pdeathsig`` where it exists:
    Linux then SIGTERMs Dovecot if the test process dies without running teardown (killed by
    a timeout, say), so even a crashed run leaves no server behind."""
    command = [str(DOVECOT), "-F", "-c", str(conf)]
    setpriv = shutil.which("setpriv")
    if setpriv and sys.platform == "linux":
        return [setpriv, "--pdeathsig", "TERM", *command]
    return command


def _passwd_line(user: User, uid: int, gid: int, home: Path) -> str:
    # {PLAIN.b64}: the password in plain, base64-encoded only so that ':' and other bytes
    # the passwd-file format cannot hold survive.
    encoded = base64.b64encode(user.password.encode("utf-8")).decode("ascii")
    return f"{user.name}:{{PLAIN.b64}}{encoded}:{uid}:{gid}::{home}\n"


def _accounts() -> tuple[int, int, str, str]:
    """(mail uid, mail gid, internal user, login user) for the process running the tests.

    Dovecot refuses to run its login process as root and mail processes as UID 0, so as root
    the package's own ``dovecot``/``dovenull`` users are used and the mail files belong to
    ``dovecot``. As an ordinary user everything runs as that user (a rootless Dovecot)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_uid, me.pw_gid, me.pw_name, me.pw_name
    try:
        internal = pwd.getpwnam("dovecot")
    except KeyError as exc:
        raise DovecotError("running as root needs the 'dovecot' user (dovecot-core)") from exc
    try:
        login = pwd.getpwnam("dovenull").pw_name
    except KeyError:
        login = internal.pw_name
    return internal.pw_uid, internal.pw_gid, internal.pw_name, login


def _make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (EC keys: generated in milliseconds)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=IP:{HOST}",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def _config(
    root: Path,
    *,
    imap_port: int,
    imaps_port: int,
    cert: Path,
    key: Path,
    accounts: tuple[int, int, str, str],
) -> str:
    uid, _gid, internal, login = accounts
    return f"""\
# Throwaway test configuration; nothing outside {root} is read or written.
protocols = imap
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {uid}
last_valid_uid = {uid}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
# Loopback is "secured" for Dovecot anyway; say so, so a plain-IMAP login is allowed.
disable_plaintext_auth = no
# Refused logins answer at once: no fixed failure delay, and no per-IP penalty that doubles
# with each failure from 127.0.0.1 (anvil's auth-penalty socket switched off).
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


class Dovecot:
    """One running server. Use :meth:`start` and :meth:`stop` (the fixture does both)."""

    def __init__(
        self,
        root: Path,
        process: subprocess.Popen[bytes],
        imap_port: int,
        imaps_port: int,
        cafile: Path,
    ) -> None:
        self.root = root
        self.process = process
        self.host = HOST
        self.imap_port = imap_port
        self.imaps_port = imaps_port
        self.cafile = cafile

    @classmethod
    def start(cls, *, users: Iterable[User] = (TESTER, AGENT), timeout: float = 20.0) -> Dovecot:
        """Start Dovecot on free loopback ports; retries with new ports if one was taken
        between choosing it and Dovecot binding it (parallel test workers)."""
        last: DovecotError | None = None
        for _ in range(3):
            root = Path(tempfile.mkdtemp(prefix="triage-dovecot-"))
            try:
                return cls._start_in(root, list(users), timeout)
            except DovecotError as exc:
                shutil.rmtree(root, ignore_errors=True)
                last = exc
                if "Address already in use" not in str(exc):
                    break
        assert last is not None
        raise last

    @classmethod
    def _start_in(cls, root: Path, users: list[User], timeout: float) -> Dovecot:
        # The unprivileged Dovecot processes (auth as 'dovecot', mail as the mail user) must
        # reach the passwd-file and the Maildirs, so the throwaway directory is world-
        # traversable; it holds only test passwords.
        root.chmod(0o755)
        accounts = _accounts()
        uid, gid = accounts[0], accounts[1]
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir()
        if os.geteuid() == 0:
            os.chown(root / "mail", uid, gid)
        passwd = root / "passwd"
        passwd.write_text(
            "".join(
                _passwd_line(user, uid, gid, root / "mail" / user.name.replace("@", "_"))
                for user in users
            ),
            encoding="utf-8",
        )
        passwd.chmod(0o644)
        cert, key = _make_certificate(root)
        imap_port, imaps_port = _free_port(), _free_port()
        while imaps_port == imap_port:
            imaps_port = _free_port()
        conf = root / "dovecot.conf"
        conf.write_text(
            _config(
                root,
                imap_port=imap_port,
                imaps_port=imaps_port,
                cert=cert,
                key=key,
                accounts=accounts,
            ),
            encoding="utf-8",
        )
        with (root / "stdout.log").open("wb") as out:
            process = subprocess.Popen(
                _command(conf),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() can sweep it
            )
        server = cls(root, process, imap_port, imaps_port, cert)
        try:
            server._wait_until_ready(timeout)
        except BaseException:
            server.stop(remove=False)
            raise
        return server

    def _log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("stdout.log", "dovecot.log"):
            with contextlib.suppress(OSError):
                text += (self.root / name).read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _wait_until_ready(self, timeout: float) -> None:
        """Until both listeners give an IMAP greeting (an open port alone could still be
        another program's, and Dovecot accepts before its login processes are up)."""
        deadline = time.monotonic() + timeout
        pending = {self.imap_port, self.imaps_port}
        while pending:
            if self.process.poll() is not None:
                raise DovecotError(
                    f"dovecot exited with status {self.process.returncode}:\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                raise DovecotError(f"dovecot did not answer in {timeout} s:\n{self._log_tail()}")
            for port in sorted(pending):
                with contextlib.suppress(OSError, imaplib.IMAP4.error):
                    if port == self.imaps_port:
                        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                            HOST, port, ssl_context=self.ssl_context(), timeout=2
                        )
                    else:
                        client = imaplib.IMAP4(HOST, port, timeout=2)
                    client.logout()
                    pending.discard(port)
            if pending:
                time.sleep(0.05)

    def stop(self, *, remove: bool = True) -> None:
        """SIGTERM the master (it stops its children), wait, then SIGKILL whatever is left
        of its process group, so no Dovecot process outlives the test session."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this server's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.cafile))

    def url(self, user: User = TESTER, folder: str | None = None, *, query: str = "") -> str:
        return user.url("imap", self.imap_port, folder, query)

    def imaps_url(self, user: User = TESTER, folder: str | None = None) -> str:
        return user.url("imaps", self.imaps_port, folder)

    def client(self, user: User = TESTER) -> imaplib.IMAP4:
        """A logged-in IMAP client, for delivering and inspecting test mail."""
        client = imaplib.IMAP4(HOST, self.imap_port, timeout=10)
        client.authenticate(
            "PLAIN", lambda _: b"\0" + user.name.encode() + b"\0" + user.password.encode()
        )
        return client

    def mailbox(self, encoded_name: str, user: User = TESTER, *, create: bool = True) -> Mailbox:
        """Access to one folder (``encoded_name`` as on the wire: modified UTF-7)."""
        return Mailbox(self, user, encoded_name, create=create)


_UID = re.compile(rb"UID (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")


class Mailbox:
    """One folder of one user, reached over IMAP: deliver with APPEND, read flags back."""

    def __init__(self, server: Dovecot, user: User, encoded_name: str, *, create: bool) -> None:
        self.server = server
        self.user = user
        self.name = encoded_name
        self.wire_name = _quoted(encoded_name)
        if create:
            with self._session(select=False) as client:
                typ, data = client.create(self.wire_name)
                assert typ == "OK", data

    @contextlib.contextmanager
    def _session(self, *, select: bool = True) -> Iterator[imaplib.IMAP4]:
        client = self.server.client(self.user)
        try:
            if select:
                typ, data = client.select(self.wire_name)
                assert typ == "OK", data
            yield client
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()

    def append(self, raw: bytes, *, seen: bool = False) -> int:
        """Deliver one message (bytes as given: CRLF line ends, 8-bit allowed); its UID."""
        with self._session(select=False) as client:
            typ, data = client.append(self.wire_name, r"(\Seen)" if seen else None, None, raw)
        assert typ == "OK", data
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        assert match, data
        return int(match.group(1))

    def flags(self) -> dict[int, set[str]]:
        """UID -> flags of every message in the folder (read with FETCH FLAGS, which does
        not change them)."""
        with self._session() as client:
            typ, data = client.uid("FETCH", "1:*", "(FLAGS)")
        assert typ == "OK", data
        result: dict[int, set[str]] = {}
        for item in data:
            if not isinstance(item, bytes):
                continue
            uid, flags = _UID.search(item), _FLAGS.search(item)
            if uid and flags:
                result[int(uid.group(1))] = set(flags.group(1).decode().split())
        return result

    def unseen(self) -> set[int]:
        return {uid for uid, flags in self.flags().items() if "\\Seen" not in flags}

    def seen(self) -> set[int]:
        return {uid for uid, flags in self.flags().items() if "\\Seen" in flags}

    def clear(self) -> None:
        """Expunge every message, for a folder shared between tests (a user's INBOX)."""
        with self._session() as client:
            typ, data = client.search(None, "ALL")
            if typ == "OK" and data[0]:
                client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                client.expunge()


def _quoted(name: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib sends arguments as given)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
