"""Shared fixtures for faults tests: a real Toxiproxy server and a small TCP echo server, plus
helpers that measure what real TCP traffic sees through a proxy."""
from __future__ import annotations

import socketserver
import threading

import pytest

from faults.client import ToxiproxyClient
from faults.topology import LINKS
from harness.runtime.procs import LOOPBACK
from harness.runtime.toxiproxy import ToxiproxyServer


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(30)
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except OSError:
            pass


class EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def echo_port():
    server = EchoServer((LOOPBACK, 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory):
    server = ToxiproxyServer(tmp_path_factory.mktemp("toxiproxy")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(toxiproxy):
    with ToxiproxyClient(toxiproxy.url) as c:
        yield c


@pytest.fixture
def links(client, echo_port):
    """The stack links as proxies to the echo server; clean (reset) before and after each test."""
    have = client.proxies()
    for link in LINKS:
        if link.name not in have:
            client.create_proxy(link.name, f"{LOOPBACK}:0", f"{LOOPBACK}:{echo_port}")
    client.reset()
    yield {name: p.port for name, p in client.proxies().items()}
    client.reset()
