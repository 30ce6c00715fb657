"""Shared bench helpers: a canned-JSON HTTP server, an in-process CPU/request probe for Locust, and a
bounded Locust child process that can be paused. Everything binds or targets 127.0.0.1 only and is stopped by pid.

    .venv/bin/python bench/common.py canned-server PORT   # what CannedServer starts (one process)

The probe runs inside the measured Locust process: on SIGUSR1 it appends (monotonic time, the process's
CPU seconds from time.process_time(), Locust's request and failure counts) to a file, so requests and CPU
of a window come from the very same two instants.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.interleave import Sample  # noqa: E402
from harness.runtime.procs import LOOPBACK, Child, free_port, port_open  # noqa: E402

PROBE_ENV = "DINERUSH_BENCH_PROBE"        # path of the JSON-lines file the in-process probe appends samples to


# ---- a Locust process that can be paused and asked for a sample ---------------------------------------------
def install_probe(events) -> None:
    """In a locustfile: when DINERUSH_BENCH_PROBE names a file, append a sample line to it at test start (the
    "ready" line) and each time the process gets SIGUSR1 — so the bench reads CPU and requests at one instant."""
    out = os.environ.get(PROBE_ENV)
    if not out:
        return

    import gevent

    def write(environment) -> None:
        total = environment.stats.total
        line = json.dumps({"t": time.monotonic(), "cpu": time.process_time(),
                           "requests": total.num_requests, "failures": total.num_failures})
        with open(out, "a") as f:
            f.write(line + "\n")

    @events.test_start.add_listener
    def _start(environment, **_kw) -> None:
        gevent.signal_handler(signal.SIGUSR1, write, environment)
        write(environment)


@dataclass
class LocustSide:
    """One headless Locust process (one side of the comparison), bounded by --run-time and stopped by pid,
    that the bench pauses (SIGSTOP), resumes (SIGCONT) and samples (SIGUSR1 → a line in its probe file)."""

    label: str
    locustfile: Path
    host: str
    run_dir: Path
    users: int
    run_time: float
    env: dict[str, str] = field(default_factory=dict)
    user_classes: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    child: Child | None = None

    @property
    def probe(self) -> Path:
        return self.run_dir / f"{self.label}.probe.jsonl"

    def start(self) -> "LocustSide":
        if not self.host.startswith(f"http://{LOOPBACK}:"):
            raise ValueError(f"bench targets {LOOPBACK} only, not {self.host}")
        self.probe.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "locust", "-f", str(self.locustfile), "--headless", "--host", self.host,
                "-u", str(self.users), "-r", str(self.users), "-t", f"{int(self.run_time)}s", "--stop-timeout", "2",
                "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0", *self.extra,
                *self.user_classes]
        # no fixed PYTHONHASHSEED: with one (0) an A/A run read +3.9/+3.5/+3.4% — a layout bias of each process (its
        # environment and argv differ) that stays put; random seeds per process turn it into round-to-round noise
        env = {**os.environ, **self.env, PROBE_ENV: str(self.probe), "PYTHONPATH": str(REPO)}
        self.child = Child(f"locust-{self.label}", argv, self.run_dir / f"{self.label}.log", env=env, cwd=REPO).start()
        return self

    def _lines(self) -> list[str]:
        try:
            return self.probe.read_text().splitlines()
        except FileNotFoundError:
            return []

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the probe is installed (its first line): SIGUSR1 before that would end the process."""
        self.child.wait_until(lambda: len(self._lines()) >= 1, timeout, "ready (probe installed)")

    def sample(self, timeout: float = 10.0) -> Sample:
        """Ask the running process for a sample and wait for it."""
        n = len(self._lines())
        os.kill(self.child.pid, signal.SIGUSR1)
        self.child.wait_until(lambda: len(self._lines()) > n, timeout, "answering a sample request")
        return Sample(**json.loads(self._lines()[n]))

    def pause(self, timeout: float = 10.0) -> None:
        """SIGSTOP, and wait until the kernel shows it stopped, so the two sides never overlap."""
        os.kill(self.child.pid, signal.SIGSTOP)
        self.child.wait_until(lambda: self.child.state() in ("T", "t"), timeout, "stopped (SIGSTOP)")

    def resume(self) -> None:
        os.kill(self.child.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop(timeout=10, sig=signal.SIGTERM)


# ---- a server that costs (almost) nothing ---------------------------------------------------------------------
MENU = {"dishes": [
    {"id": "D01", "name": "Mapo tofu", "price_cents": 1800, "sold_out": False},
    {"id": "D02", "name": "Kung pao chicken", "price_cents": 2100, "sold_out": False},
    {"id": "D03", "name": "Dan dan noodles", "price_cents": 1450, "sold_out": False},
    {"id": "D04", "name": "Caesar salad", "price_cents": 1150, "sold_out": False},
    {"id": "D05", "name": "Green tea", "price_cents": 350, "sold_out": False},
    {"id": "D06", "name": "Peking duck (whole)", "price_cents": 6800, "sold_out": True},
]}


def _response(status: str, body: dict) -> bytes:
    raw = json.dumps(body).encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(raw)}\r\n"
            f"Connection: keep-alive\r\n\r\n").encode() + raw


class _Canned(asyncio.Protocol):
    """HTTP/1.1 keep-alive with canned answers shaped like the orders API's (same URLs, same fields)."""

    ids = itertools.count(1)
    MENU = _response("200 OK", MENU)
    PAID = _response("200 OK", {"status": "PAID", "charge_id": "ch_0000000000000000"})
    NOT_FOUND = _response("404 Not Found", {"detail": "not found"})

    def connection_made(self, transport) -> None:
        self.transport, self.buf = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            end = head_end + 4 + length
            if len(self.buf) < end:
                return
            method, path = head.split(" ", 2)[:2]
            self.buf = self.buf[end:]
            self.transport.write(self.answer(method, path))

    def answer(self, method: str, path: str) -> bytes:
        if method == "GET" and path == "/menu":
            return self.MENU
        if method == "POST" and path == "/orders":
            oid = f"o_{next(self.ids):016d}"
            return _response("201 Created", {"order_id": oid, "status": "PLACED", "total_cents": 4700,
                                             "items": [{"dish_id": "D01", "qty": 1, "unit_cents": 1800},
                                                       {"dish_id": "D03", "qty": 2, "unit_cents": 1450}]})
        if method == "POST" and path.startswith("/orders/") and path.endswith("/pay"):
            return self.PAID
        if method == "GET" and path.startswith("/orders/"):
            return _response("200 OK", {"order_id": path.rsplit("/", 1)[1], "status": "PAID", "total_cents": 4700})
        if path == "/health":
            return _response("200 OK", {"ok": True})
        return self.NOT_FOUND


def serve_canned(port: int) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Canned, LOOPBACK, port, backlog=512)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        async with server:
            await stop.wait()
    asyncio.run(main())


@dataclass
class CannedServer:
    """The canned server as a child process on a free loopback port."""

    run_dir: Path
    port: int = 0
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> "CannedServer":
        self.port = free_port()
        self.child = Child("canned", [sys.executable, str(Path(__file__).resolve()), "canned-server", str(self.port)],
                           self.run_dir / "canned.log", cwd=REPO).start()
        self.child.wait_until(lambda: port_open(self.port), 15, f"listening on {LOOPBACK}:{self.port}")
        return self

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop(timeout=5)

    def cpu_seconds(self) -> float:
        import psutil
        t = psutil.Process(self.child.pid).cpu_times()
        return t.user + t.system


def sigterm_as_exit() -> None:
    """SIGTERM ends the bench like Ctrl-C does, so `finally` blocks stop what it started."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "canned-server":
        serve_canned(int(sys.argv[2]))
    else:
        sys.stderr.write("usage: bench/common.py canned-server PORT\n")
        sys.exit(64)
