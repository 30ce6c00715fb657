"""`dinerush capacity`: the highest order rate at which the SLO holds, in good weather or `--under` a fault."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from harness.commands.run import _bugs
from harness.errors import UsageError


def register(app: typer.Typer) -> None:
    @app.command("capacity")
    def capacity_cmd(
        under: Optional[str] = typer.Option(None, help="hold one fault for the whole search: FAULT[:VALUE|:k=v,...], "
                                                       "e.g. weak_network:3g, gateway_slow:latency_ms=800"),
        peak: Optional[str] = typer.Option(None, help="expected peak: orders/min (1200 or 1200/min), 20/s, 3000/h, "
                                                      "or diners (150diners); reports the headroom"),
        start_users: int = typer.Option(10, help="diners of the first step"),
        step_users: int = typer.Option(10, help="diners added per step"),
        max_steps: int = typer.Option(10, help="steps of the ladder (a bisection adds up to --bisect-rounds)"),
        bisect_rounds: int = typer.Option(2, help="steps between the highest pass and the lowest fail above it"),
        step_seconds: float = typer.Option(25.0, help="seconds each step holds (the first fifth, ≤ 5 s, is warm-up)"),
        warmup: Optional[float] = typer.Option(None, help="seconds discarded at the start of each step"),
        budget: float = typer.Option(540.0, help="no new step starts after this many seconds of search"),
        slo_place_p95_ms: Optional[float] = typer.Option(None, help="SLO: p95 place-order latency (default 1000)"),
        slo_pay_p95_ms: Optional[float] = typer.Option(None, help="SLO: p95 pay latency (default 2000)"),
        slo_error_rate: Optional[float] = typer.Option(None, help="SLO: max share of failed requests (default 0.01)"),
        slo_absolute: bool = typer.Option(False, help="under a fault, judge latency as-is instead of on top of the "
                                                      "fault's own floor (the median at the first step)"),
        mix: str = typer.Option("dine_in=4,takeaway=3,impatient=2,pos=1", help="diner kind weights"),
        seed: int = typer.Option(7, help="makes the diners' intents reproducible"),
        bug: list[str] = typer.Option([], "--bug", help="switch on a seeded defect of the reference stack (repeatable)"),
        target: str = typer.Option("local", help="local | external"),
        config: Optional[Path] = typer.Option(None, help="target config (external)"),
        workers: int = typer.Option(0, help="local Locust worker processes (0: one process)"),
        out: Path = typer.Option(Path("runs"), help="folder for run folders"),
        run_dir: Optional[Path] = typer.Option(None, help="exact run folder (must be new or empty)"),
        allow_remote: bool = typer.Option(False, help="allow a target outside 127.0.0.1"),
        quiet: bool = typer.Option(False, help="no live progress"),
    ) -> None:
        """Step up the diners until the SLO breaks, bisect, report the knee (orders/s), headroom and the limit."""
        from harness.capacity.driver import CapacityOptions, capacity, parse_under
        from harness.capacity.search import SearchPlan, parse_peak
        from harness.progress import Progress
        from harness.report.slo import SLOConfig

        if workers < 0:
            raise UsageError("--workers must be 0 or more")
        given = {"place_p95_ms": slo_place_p95_ms, "pay_p95_ms": slo_pay_p95_ms, "max_error_rate": slo_error_rate}
        slo = SLOConfig.from_mapping({k: v for k, v in given.items() if v is not None}, "--slo options")
        from scenarios.options import ScenarioUsageError, parse_mix
        try:
            parse_mix(mix)
        except ScenarioUsageError as err:
            raise UsageError(str(err).replace("--dinerush-mix", "--mix")) from None
        opts = CapacityOptions(
            plan=SearchPlan(start_users, step_users, max_steps, bisect_rounds), step_seconds=step_seconds,
            warmup_s=warmup, slo=slo, under=parse_under(under) if under else None, slo_absolute=slo_absolute,
            peak=parse_peak(peak) if peak else None, seed=seed, bugs=_bugs(bug), mix=mix, out_root=out,
            run_dir=run_dir, target=target, config=config, allow_remote=allow_remote, workers=workers,
            budget_s=budget)
        code = capacity(opts, Progress.for_terminal(quiet))
        raise typer.Exit(int(code))
