"""`python -m stack.kitchen serve --port P --dsn DSN --amqp-url URL [--bug NAME]...` — the kitchen display."""
from __future__ import annotations

import sys

from stack.common.service import CliParser, add_bug_arg, parse_bugs, serve, setup_logging
from stack.kitchen.bugs import Bugs


def parser() -> CliParser:
    p = CliParser(prog="python -m stack.kitchen", description="dinerush kitchen display (KDS)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the KDS (HTTP + queue consumer)")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--host", default="127.0.0.1", help="listen address (containers: 0.0.0.0)")
    s.add_argument("--dsn", required=True, help="PostgreSQL DSN of the kitchen database")
    s.add_argument("--amqp-url", required=True, help="RabbitMQ URL")
    add_bug_arg(s)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    bugs = Bugs.from_names(parse_bugs(args))
    from stack.kitchen.app import KitchenSettings, create_app

    setup_logging("kitchen")
    serve(create_app(KitchenSettings(port=args.port, dsn=args.dsn, amqp_url=args.amqp_url, bugs=bugs)), args.port, args.host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
