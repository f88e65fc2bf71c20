"""A private Dovecot IMAP server, run as ../shared/TESTING-SERVERS.md describes.

Shared by the tests (tests/imap_server.py wraps it in a session fixture) and the
benches (bench/imap_fill.py), so the server is started one way only. One `dovecot -F`
on 127.0.0.1 (a plain/STARTTLS port and an implicit TLS port, certificates from a
throwaway trustme CA), from a generated config in its own temp dir. Its static passdb
lets any user name log in with one password and its static userdb gives each name its
own empty maildir, so a caller takes a fresh user and starts from nothing, with INBOX
and a Sent folder (SPECIAL-USE \\Sent) created on first login.
"""

from __future__ import annotations

import contextlib
import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import trustme
from imapclient import IMAPClient

from prospector.config import Server

PASSWORD = "dovecot-test-secret-7f3a"
PASSWORD_ENV = "PROSPECTOR_TEST_IMAP_PASSWORD"
INSTALL_HINT = "apt-get install --no-install-recommends dovecot-core dovecot-imapd (or run .ci/run)"
Security = Literal["tls", "starttls", "none"]
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

_CONFIG = """\
instance_name = {instance}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# A refused login must not slow the next tests: no failure delay, no per-IP penalty.
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
{chroot}}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
mail_fsync = never
first_valid_uid = 1
first_valid_gid = 0
protocol imap {{
  mail_max_userip_connections = 200
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
{chroot}}}
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
"""


def dovecot_binary() -> str | None:
    """`dovecot` lives in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


class DovecotServer:
    """A running Dovecot; `config()` gives a fresh user's `Server` for the adapter."""

    host = "127.0.0.1"

    def __init__(self, *, root: Path, port: int, tls_port: int, ca: trustme.CA, conf: Path) -> None:
        self.root = root
        self.conf = conf
        self.port = port
        """Plain IMAP, where STARTTLS is offered."""
        self.tls_port = tls_port
        """Implicit TLS (what 993 is in production)."""
        self.ca = ca
        self.password = PASSWORD
        self._users = itertools.count(1)

    def new_user(self) -> str:
        """A user name never used before in this session: its maildir is empty."""
        return f"sdr{next(self._users)}@northwind.example"

    def config(self, security: Security = "starttls", *, user: str = "", **changes: Any) -> Server:
        """A mailbox's IMAP `Server` here (a fresh user unless `user` is given)."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.tls_port if security == "tls" else self.port,
            "security": security,
            "username": user or self.new_user(),
            "password_env": PASSWORD_ENV,
        }
        return Server(**(values | changes))

    def client_tls(self) -> ssl.SSLContext:
        """A client context that trusts this server's CA and nothing else."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    @contextmanager
    def client(self, user: str) -> Iterator[IMAPClient]:
        """A logged-in imapclient, independent of the adapter, to look at what it did."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        try:
            client.login(user, self.password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def doveadm(self, *args: str) -> str:
        """Run `doveadm` against this instance (its own config); its output, or RuntimeError."""
        binary = shutil.which("doveadm") or shutil.which("doveadm", path="/usr/bin:/usr/sbin")
        if binary is None:
            raise RuntimeError(f"doveadm is not installed: {INSTALL_HINT}")
        done = subprocess.run(
            [binary, "-c", str(self.conf), *args], capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"doveadm {' '.join(args)}: {done.stderr.strip() or done.returncode}"
            )
        return done.stdout

    def kick(self, user: str) -> None:
        """Disconnect every IMAP session of `user` from the server side."""
        self.doveadm("kick", user)

    def home(self, user: str) -> Path:
        """The user's home (its Maildir is `home / "Maildir"`), as the static userdb names it."""
        return self.root / "mail" / user

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _users() -> dict[str, object]:
    """Who runs what: Debian's system users under root, else everything as ourselves."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return {
            "internal_user": "dovecot",
            "internal_group": "dovecot",
            "login_user": "dovenull",
            "uid": nobody.pw_uid,
            "gid": nobody.pw_gid,
            "chroot": "",
        }
    me = pwd.getpwuid(os.geteuid())
    return {
        "internal_user": me.pw_name,
        "internal_group": grp.getgrgid(os.getegid()).gr_name,
        "login_user": me.pw_name,
        "uid": os.geteuid(),
        "gid": os.getegid(),
        "chroot": "  chroot =\n",  # unprivileged: no process can chroot
    }


def _write_config(root: Path, port: int, tls_port: int, ca: trustme.CA) -> Path:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    with (root / "cert.pem").open("wb") as out:
        for blob in cert.cert_chain_pems:
            out.write(blob.bytes())
    for name in ("run", "state"):
        (root / name).mkdir()
    (root / "mail").mkdir(mode=0o777)
    (root / "mail").chmod(0o777)  # mail processes run as `nobody`
    conf = root / "dovecot.conf"
    conf.write_text(
        _CONFIG.format(
            instance=f"prospector-test-{root.name}",
            root=root,
            password=PASSWORD,
            port=port,
            tls_port=tls_port,
            **_users(),
        )
    )
    return conf


def _wait_ready(process: subprocess.Popen[bytes], server: DovecotServer, root: Path) -> None:
    """Until both ports greet: only then are auth and the TLS settings loaded.

    A bare connect is not enough: a login process stopped while it still fetches its
    TLS settings from the config process hangs for 5 s, and so does the stop.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while not (_greets(server.port) and _greets(server.tls_port, server.client_tls())):
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}:\n{_log_tail(root)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"dovecot not ready within {START_TIMEOUT}s:\n{_log_tail(root)}")
        time.sleep(0.02)


def _greets(port: int, tls: ssl.SSLContext | None = None) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
            sock = tls.wrap_socket(raw, server_hostname="127.0.0.1") if tls else raw
            with sock:
                return sock.recv(512).startswith(b"* OK")
    except OSError:
        return False


def _log_tail(root: Path) -> str:
    path = root / "dovecot.log"
    return "\n".join(path.read_text(errors="replace").splitlines()[-20:]) if path.exists() else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def dovecot_server() -> Iterator[DovecotServer]:
    """Start Dovecot on free loopback ports; stopped with SIGTERM when the block ends."""
    binary = dovecot_binary()
    if binary is None:
        raise RuntimeError(f"Dovecot is not installed: {INSTALL_HINT}")
    # World-traversable temp dir: mail processes run as `nobody`, not as the test user.
    root = Path(tempfile.mkdtemp(prefix="prospector-dovecot-", dir="/tmp"))
    root.chmod(0o755)
    ca = trustme.CA()
    port = free_port()
    tls_port = free_port()
    while tls_port == port:
        tls_port = free_port()
    conf = _write_config(root, port, tls_port, ca)
    with (root / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [binary, "-F", "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        server = DovecotServer(root=root, port=port, tls_port=tls_port, ca=ca, conf=conf)
        _wait_ready(process, server, root)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
