#!/usr/bin/env python3
"""Container health probe (the slim image has no curl): `dinerush-health URL` → 0 if GET URL answers 2xx;
`dinerush-health tcp HOST:PORT` → 0 if a TCP connection opens."""
import socket
import sys
import urllib.request


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["tcp"]:
            host, port = argv[1].rsplit(":", 1)
            socket.create_connection((host, int(port)), timeout=2).close()
            return 0
        with urllib.request.urlopen(argv[0], timeout=2) as reply:
            return 0 if 200 <= reply.status < 300 else 1
    except (OSError, ValueError, IndexError) as err:
        print(f"unhealthy: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
