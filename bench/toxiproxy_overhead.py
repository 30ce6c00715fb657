"""Toxiproxy's added latency per hop with no toxic: the median round trip of N small echo exchanges
on one TCP connection, direct vs through one proxy (and through two chained proxies).

    .venv/bin/python bench/toxiproxy_overhead.py [--n 1000] [--size 64]

One "hop" is one proxy on the path; a round trip crosses it twice (request and answer).
"""
from __future__ import annotations

import argparse
import socket
import socketserver
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faults.client import ToxiproxyClient  # noqa: E402
from harness.runtime.procs import LOOPBACK  # noqa: E402
from harness.runtime.toxiproxy import ToxiproxyServer  # noqa: E402


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True


def round_trips(port: int, n: int, size: int) -> list[float]:
    payload = b"x" * size
    with socket.create_connection((LOOPBACK, port), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(20):  # warm-up
            s.sendall(payload)
            _read(s, size)
        out = []
        for _ in range(n):
            t = time.perf_counter()
            s.sendall(payload)
            _read(s, size)
            out.append(time.perf_counter() - t)
    return out


def _read(s: socket.socket, size: int) -> None:
    got = 0
    while got < size:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("echo closed")
        got += len(chunk)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--size", type=int, default=64)
    args = ap.parse_args()
    echo = _Server((LOOPBACK, 0), _Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    echo_port = echo.server_address[1]
    with tempfile.TemporaryDirectory() as tmp:
        server = ToxiproxyServer(Path(tmp)).start()
        try:
            client = ToxiproxyClient(server.url)
            one = client.create_proxy("hop1", f"{LOOPBACK}:0", f"{LOOPBACK}:{echo_port}")
            two = client.create_proxy("hop2", f"{LOOPBACK}:0", one.listen)
            res = {}
            for label, port in (("direct", echo_port), ("1 proxy", one.port), ("2 proxies", two.port)):
                samples = round_trips(port, args.n, args.size)
                res[label] = samples
            client.close()
        finally:
            server.stop()
            echo.shutdown()
    med = {k: statistics.median(v) * 1e6 for k, v in res.items()}
    p95 = {k: statistics.quantiles(v, n=20)[18] * 1e6 for k, v in res.items()}
    print(f"{args.n} echo exchanges of {args.size} B on one connection, Toxiproxy {'2.12'} no toxics")
    for k in res:
        print(f"  {k:<10} median {med[k]:8.1f} us   p95 {p95[k]:8.1f} us")
    added1 = med["1 proxy"] - med["direct"]
    added2 = (med["2 proxies"] - med["direct"]) / 2
    print(f"ratio 1 proxy / direct: {med['1 proxy'] / med['direct']:.2f}x")
    print(f"added per hop (round trip through one proxy): {added1:.1f} us (from 2 chained: {added2:.1f} us per hop)")
    print(f"added per one-way pass: {added1 / 2:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
