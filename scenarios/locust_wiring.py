"""The run context handed to every diner, and the Locust event wiring (options, shape, mix, ledger).

`install(events)` is all a locustfile needs; `DinerushRun.of(environment)` is the one object a
diner reads its options, RNG seed, ledger buffer and data factory from (no module-level state).
"""
from __future__ import annotations

import itertools
import logging
import secrets
import sys
import time

import gevent

from scenarios import ledger_sink as sink
from scenarios.data import DinerFactory
from scenarios.ledger import LedgerEntry
from scenarios.options import USAGE_EXIT, DinerushOptions, ScenarioUsageError, add_arguments, from_namespace
from scenarios.shapes import ShapeParams, make_shape

log = logging.getLogger("dinerush")
FLUSH_SECONDS = 1.0
FINAL_WAIT_EXTRA_SECONDS = 30.0


def _runner_kind(runner) -> str:
    from locust.runners import LocalRunner, MasterRunner, WorkerRunner

    if isinstance(runner, WorkerRunner):
        return "worker"
    if isinstance(runner, MasterRunner):
        return "master"
    if isinstance(runner, LocalRunner):
        return "local"
    return "none"


class DinerushRun:
    """Everything one Locust process shares between its diners: options, counters, ledger buffer, factory."""

    ATTR = "dinerush_run"

    def __init__(self, environment) -> None:
        self.environment = environment
        self.options: DinerushOptions = from_namespace(environment.parsed_options)
        self.buffer = sink.LedgerBuffer()
        self.factory = DinerFactory()
        self.writer: sink.LedgerWriter | None = None  # master / local runner only
        self._user_numbers = itertools.count()
        self._node: tuple[object, str] | None = None  # (runner, its node name): asked once per journey
        self.shared: dict = {}   # what the diner adapters of this process share (e.g. the last menu parsed)
        self._adapter: tuple[str, type] | None = None

    @property
    def adapter_class(self) -> type:
        """The diner adapter class `--dinerush-adapter` names (loaded once per process)."""
        spec = self.options.adapter
        if self._adapter is None or self._adapter[0] != spec:
            from scenarios.adapter import DinerAdapter, load_class
            try:
                self._adapter = (spec, load_class(spec, DinerAdapter))
            except ValueError as err:
                raise ScenarioUsageError(f"--dinerush-adapter: {err}") from None
        return self._adapter[1]

    @classmethod
    def of(cls, environment) -> "DinerushRun":
        run = getattr(environment, cls.ATTR, None)
        if run is None:
            run = cls(environment)
            setattr(environment, cls.ATTR, run)
        return run

    def refresh_options(self) -> None:
        """Re-read options: workers learn the master's seed and run id from its spawn message."""
        self.options = from_namespace(self.environment.parsed_options)

    @property
    def worker_index(self) -> int:
        return int(getattr(self.environment.runner, "worker_index", 0) or 0)

    @property
    def node(self) -> str:
        runner = self.environment.runner
        if self._node is None or self._node[0] is not runner:  # computed once per runner (it never changes kind)
            self._node = (runner, str(getattr(runner, "client_id", None) or "local")
                          if _runner_kind(runner) == "worker" else "local")
        return self._node[1]

    def next_user_no(self) -> int:
        return next(self._user_numbers)

    def intent_started(self) -> None:
        self.buffer.intent_started()

    def record(self, entry: LedgerEntry) -> None:
        self.buffer.record(entry)

    def ship(self, final: bool = False) -> int:
        """Send buffered entries to the master (or, locally, to our own listener); errors are logged, not lost."""
        runner = self.environment.runner
        if runner is None or _runner_kind(runner) == "master":
            return 0
        try:
            return sink.Shipper(self.buffer, self.node).ship(runner, final=final, local=_runner_kind(runner) == "local")
        except Exception as exc:  # master gone or socket closed: keep the entries for the next try
            log.error("dinerush: could not ship %d ledger entries: %r", len(self.buffer), exc)
            return 0


def _usage_exit(message: str) -> None:
    sys.stderr.write(f"dinerush: {message}\n")
    sys.exit(USAGE_EXIT)


def apply_mix(user_classes, mix: dict[str, float]) -> None:
    """Give every user class its kind's weight; a class whose kind is not registered (scenarios/diners/kinds.py)
    is a usage error, never a diner left at Locust's default weight 1."""
    for cls in user_classes:
        kind = getattr(cls, "kind", None)
        if kind not in mix:
            raise ScenarioUsageError(f"user class {cls.__name__} has diner kind {kind!r}, which is not registered: "
                                     f"add it to scenarios/diners/kinds.py (registered: {', '.join(mix)})")
        w = mix[kind]
        cls.weight = int(w) if float(w).is_integer() else w


def _select_shape(environment, options: DinerushOptions) -> None:
    from scenarios.locust_shape import DinerushShape

    shape = environment.shape_class
    if not isinstance(shape, DinerushShape):
        return
    if options.shape == "none":
        environment.shape_class = None  # plain -u / -r / -t
        return
    shape.select(make_shape(options.shape, ShapeParams(
        options.peak_users, options.shape_seconds, options.start_users, options.step_users, options.step_seconds)))


def _wait_for_finals(environment, run: DinerushRun) -> None:
    """Master: ask workers that have not sent their final batch to stop, and wait for it (bounded)."""
    runner, writer = environment.runner, run.writer
    assert writer is not None
    nodes = [c.id for c in runner.clients.all]
    writer.expect(nodes)
    missing = writer.finals_missing(nodes)
    if not missing:
        return
    for node in missing:
        runner.send_message(sink.MSG_STOP, {}, client_id=node)
    deadline = time.monotonic() + float(environment.stop_timeout or 0) + FINAL_WAIT_EXTRA_SECONDS
    while missing and time.monotonic() < deadline:
        gevent.sleep(0.1)
        missing = writer.finals_missing(missing)
    if missing:
        log.error("dinerush: no final ledger batch from workers %s; meta says complete=false", missing)


def install(events) -> None:
    """Register the dinerush options and listeners on a Locust `events` object."""

    @events.init_command_line_parser.add_listener
    def _parser(parser, **_kw) -> None:
        add_arguments(parser)

    @events.init.add_listener
    def _init(environment, runner=None, **_kw) -> None:
        kind = _runner_kind(environment.runner)
        ns = environment.parsed_options
        if ns is not None and kind in ("master", "local"):
            if getattr(ns, "dinerush_seed", None) in (None, ""):
                ns.dinerush_seed = secrets.randbelow(2**31)
            if not getattr(ns, "dinerush_run_id", ""):
                ns.dinerush_run_id = "r" + secrets.token_hex(4)
        try:
            run = DinerushRun.of(environment)
            run.refresh_options()
            if kind in ("master", "local"):
                run.adapter_class   # a bad --dinerush-adapter fails before any diner starts
        except ScenarioUsageError as exc:
            _usage_exit(str(exc))
            return
        opts = run.options
        if kind in ("master", "local"):
            try:
                apply_mix(environment.user_classes, opts.mix)
            except ScenarioUsageError as exc:
                _usage_exit(str(exc))
                return
            _select_shape(environment, opts)
            run.writer = sink.LedgerWriter(opts.ledger, opts.meta_path, opts.run_id, opts.seed)
            try:
                run.writer.open()
            except (sink.LedgerExistsError, OSError) as exc:
                _usage_exit(str(exc))
                return
            writer = run.writer
            environment.runner.register_message(
                sink.MSG_LEDGER, lambda environment, msg, **_: sink.on_ledger_message(writer, msg))
            writer.write_meta()
        if kind == "worker":
            environment.runner.register_message(
                sink.MSG_STOP, lambda environment, msg, **_: environment.runner.stop(), concurrent=True)
        if kind in ("worker", "local"):
            def flusher() -> None:
                while True:
                    gevent.sleep(FLUSH_SECONDS)
                    if len(run.buffer):
                        run.ship()
            gevent.spawn(flusher)

    @events.test_start.add_listener
    def _test_start(environment, **_kw) -> None:
        run = DinerushRun.of(environment)
        run.refresh_options()
        if run.writer is not None:
            run.writer.new_test()

    @events.test_stop.add_listener
    def _test_stop(environment, **_kw) -> None:
        run = DinerushRun.of(environment)
        kind = _runner_kind(environment.runner)
        if kind in ("worker", "local"):
            run.ship(final=True)
        if kind == "master":
            _wait_for_finals(environment, run)
        if run.writer is not None:
            run.writer.write_meta()

    @events.quitting.add_listener
    def _quitting(environment, **_kw) -> None:
        run = getattr(environment, DinerushRun.ATTR, None)
        if run is None:
            return
        if _runner_kind(environment.runner) in ("worker", "local") and len(run.buffer):
            run.ship(final=True)
        if run.writer is not None:
            run.writer.write_meta()
