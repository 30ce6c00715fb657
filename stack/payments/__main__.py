"""`python -m stack.payments serve --port P --dsn DSN --notify-url URL [--chaos-token T] [--bug NAME]...` — the simulated gateway."""
from __future__ import annotations

import sys

from stack.common.service import CliParser, add_bug_arg, parse_bugs, serve, setup_logging
from stack.payments.bugs import Bugs


def parser() -> CliParser:
    p = CliParser(prog="python -m stack.payments", description="dinerush simulated payment gateway")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the gateway")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--host", default="127.0.0.1", help="listen address (containers: 0.0.0.0)")
    s.add_argument("--dsn", required=True, help="PostgreSQL DSN of the gateway database")
    s.add_argument("--notify-url", required=True, help="merchant callback URL, e.g. http://127.0.0.1:P/payments/notify")
    s.add_argument("--chaos-token", default="", metavar="TOKEN",
                   help="enable the chaos control at /admin/chaos for requests with X-Chaos-Token: TOKEN")
    add_bug_arg(s)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    bugs = Bugs.from_names(parse_bugs(args))
    from stack.payments.app import GatewaySettings, create_app

    setup_logging("gateway")
    serve(create_app(GatewaySettings(port=args.port, dsn=args.dsn, notify_url=args.notify_url, bugs=bugs,
                                                chaos_token=args.chaos_token)), args.port, args.host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
