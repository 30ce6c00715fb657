"""bench/common.py's LocustSide on a real Locust process against the real canned server: sampled, paused, resumed."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from bench.common import CannedServer, LocustSide

pytestmark = pytest.mark.slow
BENCH = Path(__file__).resolve().parents[2] / "bench" / "diner_overhead.py"


def test_a_paused_side_makes_no_requests_and_a_resumed_one_does(tmp_path: Path) -> None:
    server = CannedServer(tmp_path).start()
    side = LocustSide("bare", BENCH, server.url, tmp_path, users=2, run_time=60,
                      env={"DINERUSH_BENCH_SIDE": "bare"})
    try:
        side.start().wait_ready()
        time.sleep(1.0)
        side.pause()
        stopped = side.probe.read_text()
        os.kill(side.child.pid, signal.SIGUSR1)           # held by the kernel while the process is stopped
        time.sleep(1.0)
        assert side.probe.read_text() == stopped          # nothing runs while stopped, not even the probe
        side.resume()
        side.child.wait_until(lambda: side.probe.read_text() != stopped, 10, "answering the held sample request")
        a = side.sample()
        b = side.sample()
        time.sleep(1.0)
        c = side.sample()
        assert a.requests <= b.requests < c.requests
        assert a.cpu <= b.cpu < c.cpu and c.failures == a.failures == 0
        side.pause()
        side.resume()
        d = side.sample()
        assert d.requests >= c.requests
    finally:
        side.stop()
        server.stop()
