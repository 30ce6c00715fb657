"""The load: Locust as a child process (`locust -f scenarios/locustfile.py --headless ...`).

A child process keeps gevent's monkey-patching out of the harness and makes one process and
`--processes N` workers the same code path; progress is read from Locust's own CSV history.
"""
from __future__ import annotations

import csv
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness.runtime.procs import LOOPBACK, Child, free_port

LOCUSTFILE = Path(__file__).resolve().parents[1] / "scenarios" / "locustfile.py"


@dataclass(frozen=True)
class LoadSpec:
    host: str
    duration_s: float
    users: int
    spawn_rate: float
    seed: int
    shape: str = "none"               # a scenarios shape name, or "none" for a flat -u/-r load
    mix: str = ""                     # diner kind weights, e.g. "dine_in=4,takeaway=3,impatient=2,pos=1"
    workers: int = 0                  # 0: one process; N: --processes N
    stop_timeout_s: float = 30.0      # in-flight journeys (retries, offline syncs) finish within this
    adapter: str = ""                 # the diner adapter ("module:Class" / "file.py:Class"); "": the reference's
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadStats:
    """The latest totals Locust wrote to its stats history (what the live progress line shows)."""

    users: int = 0
    rps: float = 0.0
    fail_per_s: float = 0.0
    p95_ms: float | None = None
    requests: int = 0
    failures: int = 0


@dataclass
class LocustRun:
    spec: LoadSpec
    run_dir: Path
    child: Child | None = field(default=None, repr=False)

    @property
    def csv_prefix(self) -> Path:
        return self.run_dir / "locust"

    @property
    def ledger_path(self) -> Path:
        return self.run_dir / "ledger.jsonl"

    @property
    def history_path(self) -> Path:
        return self.run_dir / "locust_stats_history.csv"

    def argv(self) -> list[str]:
        s = self.spec
        argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", s.host,
                "--csv", str(self.csv_prefix), "--csv-full-history", "--only-summary",
                "--run-time", f"{int(round(s.duration_s))}s", "--stop-timeout", f"{int(s.stop_timeout_s)}",
                "--dinerush-ledger", str(self.ledger_path), "--dinerush-seed", str(s.seed),
                "--dinerush-shape", s.shape, "--exit-code-on-error", "0", "--loglevel", "WARNING"]
        if s.shape == "none":
            argv += ["--users", str(s.users), "--spawn-rate", str(s.spawn_rate)]
        else:
            argv += ["--dinerush-peak-users", str(s.users), "--dinerush-shape-seconds", f"{s.duration_s:g}"]
        if s.mix:
            argv += ["--dinerush-mix", s.mix]
        if s.adapter:
            argv += ["--dinerush-adapter", s.adapter]
        if s.workers:
            # Locust's master binds *:5557 by default: keep it on loopback, on a port of its own.
            port = str(free_port())
            argv += ["--processes", str(s.workers), "--master-bind-host", LOOPBACK, "--master-bind-port", port,
                     "--master-host", LOOPBACK, "--master-port", port]
        return argv + list(s.extra)

    def start(self) -> "LocustRun":
        self.child = Child("locust", self.argv(), self.run_dir / "logs" / "locust.log").start()
        return self

    def alive(self) -> bool:
        return self.child is not None and self.child.alive()

    def progress(self) -> LoadStats:
        """The latest 'Aggregated' row of Locust's stats history, or zeros before the first one."""
        try:
            with open(self.history_path, newline="") as fp:
                last = None
                for row in csv.DictReader(fp):
                    if row.get("Name") == "Aggregated":
                        last = row
        except OSError:
            return LoadStats()
        if last is None:
            return LoadStats()
        p95 = last.get("95%", "N/A")
        return LoadStats(
            users=int(float(last.get("User Count") or 0)),
            rps=float(last.get("Requests/s") or 0),
            fail_per_s=float(last.get("Failures/s") or 0),
            p95_ms=float(p95) if p95 not in ("N/A", "", None) else None,
            requests=int(float(last.get("Total Request Count") or 0)),
            failures=int(float(last.get("Total Failure Count") or 0)),
        )

    def wait(self, timeout: float) -> int | None:
        assert self.child is not None and self.child.proc is not None
        try:
            return self.child.proc.wait(timeout)
        except Exception:
            return None

    def stop(self) -> None:
        """Ask Locust to stop (SIGTERM lets it write its CSVs and flush the ledger), then make sure."""
        if self.child is not None:
            self.child.stop(timeout=self.spec.stop_timeout_s + 15, sig=signal.SIGTERM)
