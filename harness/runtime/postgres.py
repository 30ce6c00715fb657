"""A private PostgreSQL 15 cluster in the run folder: initdb, own loopback port and socket dir, three databases.

Durability against a host crash is traded for speed on purpose (fsync=off, full_page_writes=off): the cluster
lives only as long as the run, and the audit reads it while it is up. But a *server* crash must lose nothing
(the db_restart fault shuts it down immediately and relies on crash recovery), so synchronous_commit stays on:
a commit is acknowledged only once its WAL reached the kernel, which survives the server process.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import SetupError
from harness.runtime.procs import LOOPBACK, Child, free_port
from harness.runtime.sysuser import check_reachable, chown_tree, run_as_user

DATABASES = ("orders", "gateway", "kitchen")
SUPERUSER = "dinerush"
SYSTEM_USER = "postgres"  # PostgreSQL refuses to run as root; as root we run it as this user
DEBIAN_ROOT = Path("/usr/lib/postgresql")
_SOCKET_PATH_MAX = 100    # sun_path is 108 bytes; ".s.PGSQL.NNNNN" is added to the dir


def postgres_bindir(debian_root: Path = DEBIAN_ROOT) -> Path:
    """The folder holding initdb and postgres: the newest Debian /usr/lib/postgresql/*/bin, else PATH."""
    candidates = sorted(debian_root.glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise SetupError("PostgreSQL initdb not found: run 'make setup' (or 'apt-get install -y postgresql')")


@dataclass
class PrivatePostgres:
    """One private cluster under `run_dir/pg`; `start()` leaves databases orders, gateway, kitchen ready."""

    run_dir: Path
    port: int = 0
    bindir: Path | None = None
    child: Child | None = field(default=None, repr=False)
    socket_dir: Path | None = None
    _tmp_socket_dir: bool = False

    @property
    def data_dir(self) -> Path:
        return self.run_dir / "pg" / "data"

    def dsn(self, db: str) -> str:
        return f"postgresql://{SUPERUSER}@{LOOPBACK}:{self.port}/{db}"

    def start(self, timeout: float = 30.0) -> "PrivatePostgres":
        self.bindir = self.bindir or postgres_bindir()
        user = run_as_user(SYSTEM_USER)
        self.run_dir = self.run_dir.resolve()
        pg_root = self.run_dir / "pg"
        pg_root.mkdir(parents=True, exist_ok=True)
        check_reachable(pg_root, user)
        self.socket_dir = pg_root / "sock"
        if len(str(self.socket_dir)) > _SOCKET_PATH_MAX:  # deep run folders (pytest tmp) overflow sun_path
            self.socket_dir = Path(tempfile.mkdtemp(prefix="dinerush-pg-"))
            self._tmp_socket_dir = True
        self.socket_dir.mkdir(exist_ok=True)
        chown_tree(pg_root, user)
        chown_tree(self.socket_dir, user)
        logs = self.run_dir / "logs"
        if not (self.data_dir / "PG_VERSION").exists():
            init = Child("initdb", [str(self.bindir / "initdb"), "-D", str(self.data_dir), "-A", "trust",
                                    "-U", SUPERUSER, "-E", "UTF8", "--no-sync", "--locale", "C.UTF-8"],
                         logs / "initdb.log", user=user).start()
            try:
                code = init.proc.wait(timeout)
            except BaseException:  # timeout, Ctrl-C, SIGTERM: never leave initdb running behind us
                init.stop(timeout=5)
                raise
            if code != 0:
                raise SetupError(f"initdb failed (code {code}): {init.log_tail()} (log: {init.log_path})")
        self.port = self.port or free_port()
        self.child = Child("postgres", [
            str(self.bindir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
            "-k", str(self.socket_dir), "-c", f"listen_addresses={LOOPBACK}",
            "-c", "fsync=off", "-c", "synchronous_commit=on", "-c", "full_page_writes=off",
            "-c", "max_connections=300", "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning",
        ], logs / "postgres.log", user=user).start()
        self.child.wait_until(self._ready, timeout, f"accepting connections on {LOOPBACK}:{self.port}")
        self._create_databases()
        return self

    def _connect(self, db: str = "postgres"):
        import psycopg
        return psycopg.connect(self.dsn(db), autocommit=True, connect_timeout=2)

    def _ready(self) -> bool:
        import psycopg
        try:
            with self._connect():
                return True
        except psycopg.OperationalError:
            return False

    def _create_databases(self) -> None:
        with self._connect() as conn:
            have = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for db in DATABASES:
                if db not in have:
                    conn.execute(f'CREATE DATABASE "{db}"')

    def crash(self, timeout: float = 15.0) -> None:
        """Immediate shutdown (SIGQUIT, what `pg_ctl stop -m immediate` sends): no checkpoint, every session dies."""
        import signal
        assert self.child is not None, "start() first"
        self.child.stop(timeout=timeout, sig=signal.SIGQUIT)

    def restart(self, timeout: float = 30.0) -> None:
        """Start the same server again on its data (after crash(): WAL replay first); returns once it accepts
        connections, else SetupError with the log tail."""
        assert self.child is not None, "start() first"
        self.child.start()
        self.child.wait_until(self._ready, timeout, f"accepting connections on {LOOPBACK}:{self.port} again")

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT: abort sessions, checkpoint, exit); idempotent."""
        import signal
        if self.child is not None:
            self.child.stop(timeout=timeout, sig=signal.SIGINT)
        if self._tmp_socket_dir and self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

