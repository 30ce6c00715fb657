"""What Locust's stats are told about each diner request (scenarios/http.py), through a real FastHttpSession against
a real loopback HTTP server: 2xx and 4xx are successes, a 5xx or no answer a failure named as the ledger names it.

In a child process: importing Locust monkey-patches the process that imports it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a child process with Locust and a gevent server (a few seconds)

REPO = Path(__file__).resolve().parents[2]

CHILD = r'''
import json
from gevent.pywsgi import WSGIServer
from locust.contrib.fasthttp import FastHttpSession
from locust.event import EventHook
from scenarios.http import Http
from harness.runtime.procs import free_port

def app(environ, start):
    if environ["PATH_INFO"] == "/echo":   # what the server got: the body as sent, and the JSON headers
        raw = environ["wsgi.input"].read()
        start("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"raw": raw.decode(), "ct": environ.get("CONTENT_TYPE"), "accept": environ.get("HTTP_ACCEPT"),
                            "key": environ.get("HTTP_IDEMPOTENCY_KEY")}).encode()]
    code = environ["PATH_INFO"].strip("/")
    start(f"{code} X", [("Content-Type", "application/json")])
    return [json.dumps({"status": "PAID", "code": int(code)}).encode()]

server = WSGIServer(("127.0.0.1", 0), app, log=None)
server.start()
seen = []
event = EventHook()
event.add_listener(lambda **meta: seen.append((meta["name"], None if meta["exception"] is None else str(meta["exception"]))))
out = {}
for base in (f"http://127.0.0.1:{server.server_port}", f"http://127.0.0.1:{free_port()}"):
    session = FastHttpSession(base, request_event=event, user=None, max_retries=0, network_timeout=5, connection_timeout=5)
    http, again = Http(session), Http(session)   # a second Http on one session: the Judge is installed once
    out["judged_by"] = [type(session.request_event).__name__, type(session.request_event.event).__name__]
    for code in (200, 201, 402, 404, 409, 422, 500, 503):
        a = again.call("POST", f"/{code}", f"r{code}", json={"x": 1})
        out[f"{base.rsplit(':', 1)[1] == str(server.server_port)}-{code}"] = [a.status, a.body, a.error]
    out["send"] = http.send("GET", "/201", "send").status_code
out["seen"] = seen
echo = Http(FastHttpSession(f"http://127.0.0.1:{server.server_port}", request_event=EventHook(), user=None,
                            max_retries=0, network_timeout=5, connection_timeout=5))
out["echo"] = echo.call("POST", "/echo", "echo", json={"note": "少辣", "qty": 2}, headers={"Idempotency-Key": "k1"}).body
out["echo_fallback"] = echo.call("POST", "/echo", "echo", json={1: "x"}).body    # orjson refuses an int key
print(json.dumps(out))
server.stop()
'''


def test_definite_answers_are_successes_and_the_rest_failures_named_as_the_ledger_names_them():
    r = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, timeout=60,
                       env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    seen = [tuple(x) for x in out["seen"]]
    served = [(f"r{c}", None) for c in (200, 201, 402, 404, 409, 422)] + [("r500", "http 500"), ("r503", "http 503")]
    refused = [(f"r{c}", "connection refused") for c in (200, 201, 402, 404, 409, 422, 500, 503)]
    assert seen == served + [("send", None)] + refused + [("send", "connection refused")]
    assert out["judged_by"] == ["Judge", "EventHook"]
    assert out["True-404"] == [404, {"status": "PAID", "code": 404}, None]
    assert out["True-503"] == [503, {"status": "PAID", "code": 503}, None]
    assert out["False-201"] == [None, None, "connection refused"]


def test_json_bodies_arrive_as_json_with_the_headers_locust_json_sets():
    r = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, timeout=60,
                       env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    echo, fallback = out["echo"], out["echo_fallback"]
    assert json.loads(echo["raw"]) == {"note": "少辣", "qty": 2}
    assert (echo["ct"], echo["accept"], echo["key"]) == ("application/json", "application/json", "k1")
    assert json.loads(fallback["raw"]) == {"1": "x"} and fallback["ct"] == "application/json"
