"""Real TCP traffic through a proxy: how an echo exchange ends and how long it takes (test helper)."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from harness.runtime.procs import LOOPBACK


@dataclass(frozen=True)
class Outcome:
    kind: str        # ok | reset | eof | timeout | refused
    received: int    # bytes echoed back before the outcome
    seconds: float


def exchange(port: int, size: int = 64, timeout: float = 10.0) -> Outcome:
    """Connect, send `size` bytes (from a thread), read them back; report how it ended and how long it took."""
    payload = b"x" * size
    try:
        sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
    except ConnectionRefusedError:
        return Outcome("refused", 0, 0.0)
    received = 0
    sock.settimeout(timeout)
    start = time.monotonic()

    def send() -> None:
        try:
            sock.sendall(payload)
        except OSError:
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    kind = "ok"
    try:
        while received < size:
            chunk = sock.recv(65536)
            if not chunk:
                kind = "eof"
                break
            received += len(chunk)
    except socket.timeout:
        kind = "timeout"
    except ConnectionResetError:
        kind = "reset"
    finally:
        seconds = time.monotonic() - start
        sock.close()
        sender.join(5)
    return Outcome(kind, received, seconds)
