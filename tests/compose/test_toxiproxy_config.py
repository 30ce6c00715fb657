"""compose/toxiproxy.json is loaded by the real Toxiproxy 2.12 server (`-config`), as the compose service does:
all six proxies exist, enabled, with their upstreams. Listen addresses are moved to free loopback ports here."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from faults.topology import LINKS
from harness.runtime.compose import TOXIPROXY_CONFIG, compose_proxies
from harness.runtime.procs import LOOPBACK, Child, free_port, port_open
from harness.runtime.toxiproxy import toxiproxy_binary


@pytest.mark.slow
def test_the_real_server_creates_every_link_from_the_config(tmp_path: Path):
    specs = json.loads(TOXIPROXY_CONFIG.read_text())
    for spec in specs:
        spec["listen"] = f"{LOOPBACK}:{free_port()}"
    config = tmp_path / "toxiproxy.json"
    config.write_text(json.dumps(specs))
    api = free_port()
    server = Child("toxiproxy", [str(toxiproxy_binary()), "-host", LOOPBACK, "-port", str(api), "-config", str(config)],
                   tmp_path / "toxiproxy.log").start()
    try:
        server.wait_until(lambda: port_open(api), 15.0, "answering")
        with urllib.request.urlopen(f"http://{LOOPBACK}:{api}/proxies", timeout=5) as reply:
            live = json.loads(reply.read())
        assert set(live) == {link.name for link in LINKS}
        for spec in compose_proxies():
            assert live[spec.name]["upstream"] == spec.upstream
            assert live[spec.name]["enabled"] is True
        for spec in specs:
            assert port_open(int(spec["listen"].rsplit(":", 1)[1]))
    finally:
        server.stop()
