"""Runs the capacity search against a target: up → probe → [fault on] → one Locust child per step → heal →
drain → final reads → audit over the whole ledger → capacity report.

One Locust child per step keeps every step's numbers clean (its own stats history, ledger and warm-up), lets
the search stop as soon as a step clearly fails, and lets a bisection step run at any load. A correctness
failure anywhere in the ledger outranks the capacity: exit 1, and the report says so.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from faults.errors import FaultError
from harness.audit.engine import audit
from harness.capacity.resources import DB_WAIT_SQL, CpuMeter, Samples, machine_seconds, resources
from harness.capacity.search import (Limits, Next, Outcome, Peak, SearchPlan, StepResult, conclude,
                                     demand_per_user, judge, next_step)
from harness.capacity.window import cut, ledger_rates, step_window
from harness.errors import DinerushError, Exit, SetupError, UsageError
from harness.finish import load_ledger
from harness.loadgen import LoadSpec, LocustRun
from harness.profiles import Profile
from harness.progress import Progress
from harness.report.locust_csv import read_stats_history
from harness.report.slo import SLOConfig
from harness.run import Interrupted, drain, save_final_reads, signals_raise
from harness.targets import make_target
from harness.capacity.under import Under, parse_under  # noqa: F401  (parse_under: re-exported for callers)
from scenarios.diners.kinds import default_mix
from scenarios.ledger import read_ledger

@dataclass(frozen=True)
class CapacityOptions:
    plan: SearchPlan = field(default_factory=SearchPlan)
    step_seconds: float = 25.0
    warmup_s: float | None = None       # None: a fifth of the step, at most 5 s
    slo: SLOConfig = field(default_factory=SLOConfig)
    under: Under | None = None
    slo_absolute: bool = False          # under a fault: judge latency as-is, not on top of the fault's floor
    peak: Peak | None = None
    seed: int = 7
    bugs: tuple[str, ...] = ()
    mix: str = field(default_factory=default_mix)
    out_root: Path = Path("runs")
    run_dir: Path | None = None
    target: str = "local"
    config: Path | None = None
    allow_remote: bool = False
    workers: int = 0
    stop_timeout_s: float = 15.0
    drain_deadline_s: float = 60.0
    budget_s: float = 540.0             # no new step starts after this many seconds of search

    def __post_init__(self) -> None:
        if not 5 <= self.step_seconds <= 600:
            raise UsageError("--step-seconds must be between 5 and 600")
        if self.warmup_s is not None and not 0 <= self.warmup_s < self.step_seconds:
            raise UsageError("--warmup must be 0 or more and shorter than --step-seconds")

    @property
    def warmup(self) -> float:
        return self.warmup_s if self.warmup_s is not None else min(5.0, self.step_seconds / 5)

    @property
    def profile(self) -> Profile:
        """A run profile view, for code shared with `dinerush run` (targets, reports)."""
        return Profile(self.name, "capacity search", schedule="none", duration_s=self.step_seconds,
                       users=self.plan.start_users, spawn_rate=self.plan.start_users,
                       drain_deadline_s=self.drain_deadline_s)

    @property
    def name(self) -> str:
        return "capacity" + (f"-under-{self.under.text.replace(':', '-').replace(',', '-').replace('=', '')}"
                             if self.under else "")

    def limits(self, floors: tuple[float, float] = (0.0, 0.0)) -> Limits:
        return Limits(self.slo.place_p95_ms, self.slo.pay_p95_ms, self.slo.max_error_rate,
                      place_floor_ms=floors[0], pay_floor_ms=floors[1])


@dataclass
class CapacityContext:
    """What the search accumulates (handed to the target, which records events on it)."""

    options: CapacityOptions
    run_dir: Path
    progress: Progress
    phase: str = "init"
    run_tag: str = field(default_factory=lambda: "c" + secrets.token_hex(3))
    raw: list[StepResult] = field(default_factory=list)      # measured, not judged
    floors: tuple[float, float] = (0.0, 0.0)
    inconclusive: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    probe_line: str = ""
    fault_detail: str = ""
    fault_window: tuple[float, float | None] | None = None    # epoch seconds
    load_started_wall: float | None = None
    load_ended_wall: float | None = None
    started_wall: float = field(default_factory=time.time)

    def event(self, what: str, **detail) -> None:
        self.events.append({"wall": time.time(), "phase": self.phase, "what": what, **detail})

    @property
    def limits(self) -> Limits:
        return self.options.limits(self.floors)

    def judged(self) -> list[StepResult]:
        demand = demand_per_user(self.raw)
        return [judge(r, self.limits, demand) for r in self.raw]


def new_run_dir(options: CapacityOptions) -> Path:
    if options.run_dir is not None:
        path = Path(options.run_dir)
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = options.out_root / f"{stamp}-{options.name}"
        n = 1
        while path.exists():
            n += 1
            path = options.out_root / f"{stamp}-{options.name}-{n}"
    if path.exists() and any(path.iterdir()):
        raise UsageError(f"run folder {path} is not empty: choose another --out or remove it")
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def capacity(options: CapacityOptions, progress: Progress | None = None) -> Exit:
    """Run the search and write the report; the exit code follows DESIGN.md (1 beats a capacity)."""
    from harness.capacity.report import write_capacity_reports

    target = make_target(options)   # bad usage (target config) fails before any run folder exists
    run_dir = new_run_dir(options)
    ctx = CapacityContext(options, run_dir, progress or Progress.for_terminal())
    target.ctx = ctx
    (run_dir / "capacity.json").write_text(json.dumps(
        {**asdict(options), "under": options.under.text if options.under else None,
         "run_dir": str(run_dir)}, indent=2, default=str))
    reads = None
    with signals_raise():
        try:
            reads = _phases(ctx, target)
        except Interrupted as sig:
            ctx.inconclusive.append(f"interrupted by {sig} during {ctx.phase}")
        except (DinerushError, FaultError) as err:   # a fault that did not apply or heal, a dead service...
            ctx.inconclusive.append(f"{ctx.phase}: {err}")
        finally:
            ctx.progress.close()
    _merge_ledgers(run_dir, [run_dir / "steps" / d for d in sorted(os.listdir(run_dir / "steps"))]
                   if (run_dir / "steps").is_dir() else [])
    entries, problems = load_ledger(run_dir)
    inconclusive = ctx.inconclusive + ([] if not ctx.raw else problems)
    if reads is None and not inconclusive:
        inconclusive.append("no final reads")
    result = audit(entries, reads) if ctx.raw else None
    results = ctx.judged()
    outcome = conclude(results)
    reports = write_capacity_reports(ctx, results, outcome, result, inconclusive)
    _print(ctx, results, outcome, reports)
    return reports.exit_code


def _print(ctx: CapacityContext, results: list[StepResult], outcome: Outcome, reports) -> None:
    say = ctx.progress.line
    for line in reports.lines:
        say(line)
    say(f"exit {int(reports.exit_code)} ({reports.exit_code.name.lower()}); report in {reports.html}")


# ---- phases ----------------------------------------------------------------------------------------------

def _phases(ctx: CapacityContext, target):
    opts = ctx.options
    with ExitStack() as stack:
        ctx.phase = "up"
        ctx.progress.phase("up", "starting the stack")
        stack.enter_context(target.up())
        ctx.phase = "probe"
        ctx.progress.phase("probe", "one order end to end")
        ctx.probe_line = target.probe()
        ctx.event("probe", line=ctx.probe_line)
        roots = _process_roots(target)
        with ExitStack() as weather:
            if opts.under is not None:
                ctx.phase = "fault"
                _hold_fault(ctx, target, weather)
            ctx.phase = "search"
            ctx.load_started_wall = time.time()
            _search(ctx, target, roots)
        ctx.load_ended_wall = time.time()
        if ctx.fault_window is not None:
            ctx.fault_window = (ctx.fault_window[0], time.time())
        drain(ctx, target)
        return save_final_reads(ctx, target)


def _hold_fault(ctx: CapacityContext, target, stack: ExitStack) -> None:
    """Apply the --under fault now; heal it (and reset Toxiproxy) when `stack` closes."""
    from faults.registry import get

    under = ctx.options.under
    assert under is not None
    fault = get(under.fault)
    from faults.actuators import Actuators

    client = target.fault_client()
    acts = Actuators(links=client, processes=target.process_control(), gateway=target.gateway_control())
    ctx.progress.phase("fault", f"{under.text} held for the whole search")
    plan = fault.apply(acts, under.params, tag="capacity")

    def heal() -> None:
        try:
            fault.heal(acts, plan)
        finally:
            client.reset()
        ctx.event("healed", fault=under.text)

    stack.callback(heal)
    ctx.fault_detail = plan.summary()
    ctx.fault_window = (time.time(), None)
    ctx.event("applied", fault=under.text, detail=ctx.fault_detail)


def _process_roots(target) -> dict[str, int]:
    """Named process-group leaders of a local stack (empty for a stack we did not start)."""
    stack = getattr(target, "stack", None)
    if stack is None:
        return {}
    roots = {name: child.pid for name, child in stack.services.items() if child.proc is not None}
    if stack.postgres is not None and stack.postgres.child is not None:
        roots["postgres"] = stack.postgres.child.pid
    if stack.rabbit is not None and stack.rabbit.child is not None:
        roots["rabbitmq"] = stack.rabbit.child.pid
    if stack.toxiproxy is not None and stack.toxiproxy.child is not None:
        roots["toxiproxy"] = stack.toxiproxy.child.pid
    return roots


def _db_conn(target):
    dbs = getattr(target, "databases", None)
    if dbs is None:
        return None
    try:
        import psycopg
        return psycopg.connect(dbs.orders, connect_timeout=5, autocommit=True)
    except Exception:   # database waits are a figure, not a requirement
        return None


def _search(ctx: CapacityContext, target, roots: dict[str, int]) -> None:
    opts = ctx.options
    began = time.monotonic()
    per_step = opts.step_seconds + 10
    with ExitStack() as stack:
        conn = _db_conn(target)
        if conn is not None:
            stack.callback(conn.close)
        while True:
            results = ctx.judged()
            nxt = next_step(opts.plan, results)
            if nxt is None:
                return
            if results and time.monotonic() - began + per_step > opts.budget_s:
                ctx.notes.append(f"time budget of {opts.budget_s:.0f} s reached after {len(results)} steps")
                return
            raw = _step(ctx, target, nxt, len(ctx.raw) + 1, roots, conn)
            ctx.raw.append(raw)
            if len(ctx.raw) == 1 and opts.under is not None and not opts.slo_absolute:
                # the fault's own latency (a 3G round trip) is not the stack's doing: judge what load adds to it
                ctx.floors = (raw.p50_place_ms or 0.0, raw.p50_pay_ms or 0.0)
            j = ctx.judged()[-1]
            verdict = "pass" if j.passed else ("FAIL" + (" (clear)" if j.clear else ""))
            ctx.progress.line(
                f"  step {j.index:2d} {j.kind:<6} {j.users:4d} diners: served {j.served_ops:6.1f}/s "
                f"(offered {j.offered_ops or 0:6.1f}/s), p95 place {_ms(j.p95_place_ms)}, pay {_ms(j.p95_pay_ms)}, "
                f"errors {(j.error_rate or 0):.1%}  {verdict}{': ' + '; '.join(j.why) if j.why else ''}")


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} ms"


def _step(ctx: CapacityContext, target, nxt: Next, index: int, roots: dict[str, int], conn) -> StepResult:
    opts = ctx.options
    step_dir = ctx.run_dir / "steps" / f"{index:02d}-{nxt.users}u"
    step_dir.mkdir(parents=True)
    spawn = max(1.0, nxt.users / max(1.0, min(2.0, opts.warmup)))
    spec = LoadSpec(host=target.diner_url, duration_s=opts.step_seconds, users=nxt.users, spawn_rate=spawn,
                    seed=opts.seed + index, mix=opts.mix, workers=opts.workers, stop_timeout_s=opts.stop_timeout_s,
                    extra=("--dinerush-run-id", f"{ctx.run_tag}s{index:02d}"))
    locust = LocustRun(spec, step_dir)
    ctx.progress.phase("step", f"{index}: {nxt.users} diners for {opts.step_seconds:.0f}s ({nxt.kind})")
    samples = Samples()
    with ExitStack() as stack:
        locust.start()
        stack.callback(locust.stop)
        meter = CpuMeter({**roots, "locust": locust.child.pid})
        launched = time.monotonic()
        hard = opts.step_seconds + opts.stop_timeout_s + 90
        last_sample = 0.0
        under = [opts.under.text] if opts.under else []
        # Locust flushes its CSVs only every few seconds, so sample on our own clock (every ~1 s) and cut the
        # samples to the step's window afterwards, when the stats history tells us where the window was.
        while locust.alive():
            now = time.monotonic()
            if now - last_sample >= 1.0:
                last_sample = now
                samples.cpu.append((time.time(), meter.snapshot()))
                samples.machine.append((time.time(), *machine_seconds()))
                if conn is not None:
                    try:
                        active, waiting = conn.execute(DB_WAIT_SQL).fetchone()
                        samples.db.append((time.time(), int(active), int(waiting)))
                    except Exception:   # a figure, not a requirement
                        conn = None
            ctx.progress.load(min(now - launched, opts.step_seconds), opts.step_seconds, locust.progress(), under)
            for name in target.dead_services():
                raise SetupError(f"stack service {name} died during step {index}: see logs/{name}.log")
            if now - launched > hard:
                raise SetupError(f"Locust did not finish step {index} in {hard:.0f}s: see {step_dir}/logs/locust.log")
            time.sleep(0.25)
    code = locust.child.proc.returncode if locust.child and locust.child.proc else None
    if code not in (0, None):
        raise SetupError(f"Locust exited with code {code} in step {index}: see {step_dir}/logs/locust.log")
    backlog = target.backlog()
    path = step_dir / "locust_stats_history.csv"
    if not path.exists():
        raise SetupError(f"Locust wrote no stats history in step {index}: see {step_dir}/logs/locust.log")
    history = read_stats_history(path)
    w = step_window(history, opts.warmup, opts.step_seconds)
    if w is None:
        raise SetupError(f"step {index}: Locust reported no diners: see {step_dir}/logs/locust.log")
    stats = cut(history, w, place=opts.slo.place_request, pay=opts.slo.pay_request)
    try:
        with open(locust.ledger_path, encoding="utf-8") as fp:
            rates = ledger_rates(list(read_ledger(fp)), w)
        attempted, served = rates.attempted_per_s, rates.served_per_s
    except (OSError, ValueError):
        attempted, served = stats.place_attempts_per_s, stats.place_ok_per_s   # no ledger: Locust's own counts
        ctx.notes.append(f"step {index}: no readable ledger, orders/s from Locust's place requests")
    return StepResult(
        index=index, users=nxt.users, kind=nxt.kind, window_s=round(w.seconds, 2),
        attempted_ops=round(attempted, 3), served_ops=round(served, 3),
        p95_place_ms=stats.p95_place_ms, p95_pay_ms=stats.p95_pay_ms,
        p50_place_ms=stats.p50_place_ms, p50_pay_ms=stats.p50_pay_ms,
        error_rate=round(stats.error_rate, 5) if stats.error_rate is not None else None, requests=stats.requests,
        resources=resources(samples.cpu_pct(w.start, w.end), os.cpu_count() or 1, samples.db_waits(w.start, w.end),
                            backlog, samples.machine_pct(w.start, w.end)),
    )


def _merge_ledgers(run_dir: Path, step_dirs: list[Path]) -> None:
    """All steps' ledgers as one run ledger (+ meta), so the audit judges every intent of the search."""
    if not step_dirs:
        return
    started = written = 0
    conserved = complete = True
    missing: list[str] = []
    with open(run_dir / "ledger.jsonl", "w", encoding="utf-8") as out:
        for d in step_dirs:
            led = d / "ledger.jsonl"
            if led.exists():
                out.write(led.read_text(encoding="utf-8"))
            try:
                meta = json.loads((d / "ledger.meta.json").read_text())
            except (OSError, ValueError):
                missing.append(d.name)
                continue
            started += int(meta.get("started", 0))
            written += int(meta.get("written", 0))
            conserved = conserved and bool(meta.get("conserved"))
            complete = complete and bool(meta.get("complete", True))
    meta = {"format": "merged", "steps": [d.name for d in step_dirs], "started": started, "written": written,
            "conserved": conserved and not missing, "complete": complete and not missing,
            "missing_meta": missing}
    (run_dir / "ledger.meta.json").write_text(json.dumps(meta, indent=1))
