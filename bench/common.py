"""Shared bench helpers: a canned-JSON HTTP server, an in-process CPU/request meter for Locust, and a
bounded Locust child process. Everything binds or targets 127.0.0.1 only and is stopped by pid.

    .venv/bin/python bench/common.py canned-server PORT   # what CannedServer starts (one process)

The meter runs inside the measured Locust process: after a warm-up it samples (monotonic time,
the process's user+system CPU seconds from os.times(), Locust's total request count) and samples
again `window` seconds later, so requests and CPU come from the very same interval.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.runtime.procs import LOOPBACK, Child, free_port, port_open  # noqa: E402

METER_ENV = "DINERUSH_BENCH_METER"        # path of the JSON the meter writes
WARMUP_ENV = "DINERUSH_BENCH_WARMUP"
WINDOW_ENV = "DINERUSH_BENCH_WINDOW"


# ---- the measured interval ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    t: float         # time.monotonic()
    cpu: float       # user + system CPU seconds of the Locust process
    requests: int
    failures: int


@dataclass(frozen=True)
class Measured:
    """What one Locust process did over the meter's window."""

    label: str
    start: Sample
    end: Sample

    @property
    def wall(self) -> float:
        return self.end.t - self.start.t

    @property
    def cpu(self) -> float:
        return self.end.cpu - self.start.cpu

    @property
    def requests(self) -> int:
        return self.end.requests - self.start.requests

    @property
    def failures(self) -> int:
        return self.end.failures - self.start.failures

    @property
    def per_cpu_second(self) -> float:
        return self.requests / self.cpu if self.cpu > 0 else float("nan")

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.cpu / self.requests if self.requests else float("nan")

    def line(self) -> str:
        return (f"  {self.label:<8} {self.requests:7d} requests ({self.failures} failed) in {self.wall:5.1f} s "
                f"= {self.requests / self.wall:7.1f} req/s | Locust CPU {self.cpu:6.2f} s "
                f"({100 * self.cpu / self.wall:3.0f}% of a core) | {self.per_cpu_second:7.0f} req per CPU-s "
                f"| {self.cpu_us_per_request:6.0f} us CPU/request")


def install_meter(events) -> None:
    """In a locustfile: when DINERUSH_BENCH_METER is set, measure one window and write it there as JSON."""
    out = os.environ.get(METER_ENV)
    if not out:
        return
    warmup, window = float(os.environ.get(WARMUP_ENV, "5")), float(os.environ.get(WINDOW_ENV, "20"))

    import gevent

    def sample(environment) -> dict:
        t = os.times()
        total = environment.stats.total
        return {"t": time.monotonic(), "cpu": t.user + t.system,
                "requests": total.num_requests, "failures": total.num_failures}

    @events.test_start.add_listener
    def _start(environment, **_kw) -> None:
        def measure() -> None:
            gevent.sleep(warmup)
            a = sample(environment)
            gevent.sleep(window)
            b = sample(environment)
            Path(out).write_text(json.dumps({"start": a, "end": b}))
        gevent.spawn(measure)


def read_meter(path: Path, label: str) -> Measured:
    try:
        d = json.loads(path.read_text())
    except (OSError, ValueError):
        raise RuntimeError(f"{label}: the Locust process wrote no measurement ({path}); see its log") from None
    return Measured(label, Sample(**d["start"]), Sample(**d["end"]))


def run_locust(label: str, locustfile: Path, host: str, run_dir: Path, *, users: int, warmup: float,
               window: float, user_classes: tuple[str, ...] = (), extra: tuple[str, ...] = (),
               env: dict[str, str] | None = None) -> Measured:
    """One headless Locust process, bounded by --run-time (and a hard deadline), measured by the meter."""
    if not host.startswith(f"http://{LOOPBACK}:"):
        raise ValueError(f"bench targets {LOOPBACK} only, not {host}")
    meter = run_dir / f"{label}.meter.json"
    meter.unlink(missing_ok=True)
    run_time = int(warmup + window + 3)
    argv = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host,
            "-u", str(users), "-r", str(users), "-t", f"{run_time}s", "--stop-timeout", "2",
            "--csv", str(run_dir / label), "--only-summary", "--loglevel", "WARNING",
            "--exit-code-on-error", "0", *extra, *user_classes]
    child_env = {**os.environ, **(env or {}), METER_ENV: str(meter), WARMUP_ENV: str(warmup),
                 WINDOW_ENV: str(window), "PYTHONPATH": str(REPO)}
    child = Child(f"locust-{label}", argv, run_dir / f"{label}.log", env=child_env, cwd=REPO).start()
    try:
        child.proc.wait(run_time + 30)
    except Exception:  # noqa: BLE001 - over the deadline: stopped below
        pass
    finally:
        child.stop(timeout=10, sig=signal.SIGTERM)
    return read_meter(meter, label)


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
