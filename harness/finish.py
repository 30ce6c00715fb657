"""The end of a run: audit the ledger against the final reads, judge the SLOs, write the reports.

Also `reaudit(RUN)`: the same from a finished run folder's saved files, offline.
"""
from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from harness.audit import AuditOptions, Index, audit, figures
from harness.audit.evidence import ScheduledFault, SLOSeen, evidence
from harness.audit.history import FinalReads
from harness.errors import Exit, UsageError
from harness.profiles import PROFILES, Profile
from harness.report import (FaultWindow, RunMeta, SLOConfig, evaluate_slos, find_stats_history,
                            read_stats_history, write_reports)
from harness.report.kitchen import KitchenLags, recovery
from harness.report.slo import SLOStatus
from harness.report.where import cluster_lines, timeline
from scenarios.ledger import LedgerEntry, read_ledger


def load_ledger(run_dir: Path, workers: int = 0) -> tuple[list[LedgerEntry] | None, list[str]]:
    """The ledger, and reasons it cannot be trusted (missing, malformed, not whole, or fewer workers shipped
    their entries than `workers` Locust worker processes ran)."""
    path = run_dir / "ledger.jsonl"
    try:
        with open(path, encoding="utf-8") as fp:
            entries = list(read_ledger(fp))
    except FileNotFoundError:
        return None, [f"no ledger at {path}"]
    except ValueError as err:
        return None, [f"{path}: {err}"]
    meta_path = run_dir / "ledger.meta.json"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return entries, [f"no readable {meta_path.name}: cannot prove every intent was written"]
    if not meta.get("conserved") or not meta.get("complete", True):
        return entries, [f"ledger not whole: {meta.get('started')} intents started, {meta.get('written')} written"
                         + ("" if meta.get("complete", True) else ", a worker's final batch is missing")]
    if int(meta.get("written", -1)) != len(entries):
        return entries, [f"ledger has {len(entries)} entries but the writer counted {meta.get('written')}"]
    shipped = len(meta.get("nodes") or {})
    if workers and shipped < workers:
        return entries, [f"ledger not whole: only {shipped} of {workers} Locust workers shipped their entries"]
    return entries, []


def load_reads(run_dir: Path) -> FinalReads | None:
    try:
        return FinalReads.from_json((run_dir / "final_reads.json").read_text())
    except FileNotFoundError:
        return None


def fault_windows(stamps: list[dict], t0: float | None) -> tuple[FaultWindow, ...]:
    """Apply/heal stamps → windows in seconds since the load began (an unhealed fault has no end)."""
    if t0 is None:
        return ()
    opened: dict[int, dict] = {}
    rows: list[tuple] = []
    for s in stamps:
        if s["action"] == "apply":
            opened[s["entry"]] = s
        elif s["entry"] in opened:
            a = opened.pop(s["entry"])
            rows.append((a["fault"], a["wall"] - t0, s["wall"] - t0, a.get("detail", "")))
    rows += [(a["fault"], a["wall"] - t0, None, a.get("detail", "")) for a in opened.values()]
    return FaultWindow.from_stamps(sorted(rows, key=lambda r: r[1]))


def _slo_config(raw: dict | None) -> SLOConfig:
    return SLOConfig(**{f.name: raw[f.name] for f in fields(SLOConfig) if raw and f.name in raw})


def _min_paid(run: dict) -> int:
    """The evidence floor of the run's profile (run.json; a run from before the field: its profile's default)."""
    prof = run.get("profile") or {}
    if "min_paid" in prof:
        return int(prof["min_paid"])
    known = PROFILES.get(str(prof.get("name")))
    return known.min_paid if known is not None else Profile.min_paid


def _scheduled(run: dict) -> list[ScheduledFault] | None:
    """The scheduled faults run.json lists; None if it does not say (a run from before the evidence floor)."""
    if "scheduled_faults" in run:
        return [ScheduledFault.from_dict(d) for d in run["scheduled_faults"] or ()]
    return [] if (run.get("profile") or {}).get("schedule") == "none" else None


def judge(run_dir: Path, run: dict, stamps: list[dict], inconclusive: list[str], say=print) -> Exit:
    """Audit + SLOs + evidence floor + blame + reports for one run folder; `run` is run.json's content."""
    entries, problems = load_ledger(run_dir, int(run.get("workers") or 0))
    inconclusive = inconclusive + problems
    reads = load_reads(run_dir)
    if reads is None:
        inconclusive.append("no final reads (final_reads.json)")
    started = run.get("load_started") or (min((e.started_at for e in entries), default=0.0) if entries else 0.0)
    ended = run.get("load_ended") or started
    windows = fault_windows(stamps, started)
    index = Index.build(entries, reads, AuditOptions(timeline=timeline(windows, started, ended)))
    result = audit(entries, reads, index=index)
    figs = figures(entries, reads, index=index)
    cfg = _slo_config(run.get("slo"))
    history_path = find_stats_history(run_dir)
    history = read_stats_history(history_path) if history_path else None
    lags = KitchenLags.from_index(index) if reads is not None else None
    slos = evaluate_slos(cfg, history, windows, started, kitchen=lags,
                         kitchen_applicable=reads is None or "tickets" not in reads.absent) if history is not None else ()
    healed = recovery(windows, started, ended, cfg, history=history, lags=lags)
    ev = evidence(index, min_paid=_min_paid(run), scheduled=_scheduled(run), stamps=stamps,
                  slos=[SLOSeen(s.name, s.detail if s.status is SLOStatus.UNKNOWN else None) for s in slos],
                  expected_slos=[s.name for s in cfg.slos()])
    inconclusive += ev.gaps
    extra = {k: str(v) for k, v in (run.get("extra") or {}).items()}
    extra["paid_end_to_end"] = str(ev.paid_end_to_end)
    if ev.notes:
        extra["evidence"] = "; ".join(ev.notes)
    prof = run.get("profile") or {}
    meta = RunMeta(run_id=run_dir.name, profile=prof.get("name", "?"), started_at=started, ended_at=ended,
                   target=run.get("target", "local"), seed=run.get("seed"), users=prof.get("users"),
                   schedule=prof.get("schedule"), bugs=tuple(run.get("bugs") or ()), extra=extra)
    out = write_reports(run_dir, meta=meta, audit=result, figures=figs, slos=slos, faults=windows,
                        history=history, slo_config=cfg, inconclusive=inconclusive, untrusted_ledger=problems,
                        recovery=healed)
    for c in result.checks:
        mark = {"valid": "ok  ", "invalid": "FAIL", "unknown": "??  "}[c.verdict.value]
        first = f"  e.g. {c.examples[0].ref}: {c.examples[0].why}" if c.examples and c.count else ""
        na = f"  (not applicable: {', '.join(s.value for s in c.not_applicable)})" if c.not_applicable else ""
        say(f"  {mark} {c.name:<11}{c.count:>6}{first}{na}")
        for line in cluster_lines(c):
            say(f"         {line}")
    for s in slos:
        say(f"  slo  {s.name:<20} {s.status.value:<7} {s.detail}")
    for r in healed:
        say(f"  {r.line}")
    for why in inconclusive:
        say(f"  inconclusive: {why}")
    for note in ev.notes:
        say(f"  note: {note}")
    why = f": {inconclusive[0]}" + (f" (+{len(inconclusive) - 1} more)" if len(inconclusive) > 1 else "") \
        if out.exit_code is Exit.INCONCLUSIVE and inconclusive else ""
    say(f"exit {int(out.exit_code)} ({out.exit_code.name.lower()}{why}): {out.report_html}")
    return out.exit_code


def finish(ctx, reads: FinalReads | None, complete: bool) -> Exit:
    run = json.loads((ctx.run_dir / "run.json").read_text())
    run.update(load_started=ctx.load_started_wall, load_ended=ctx.load_ended_wall, probe=ctx.probe_line,
               events=ctx.events, extra={"probe": ctx.probe_line} if ctx.probe_line else {})
    (ctx.run_dir / "run.json").write_text(json.dumps(run, indent=2, default=str))
    (ctx.run_dir / "timeline.json").write_text(json.dumps(ctx.stamps, indent=1))
    inconclusive = list(ctx.inconclusive)
    if not complete and not inconclusive:
        inconclusive.append("the run did not complete")
    (ctx.run_dir / "inconclusive.json").write_text(json.dumps(inconclusive))
    return judge(ctx.run_dir, run, ctx.stamps, inconclusive, ctx.progress.line)


def reaudit(run_dir: Path) -> Exit:
    """Re-judge a finished run from its folder, offline: no stack needed."""
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").exists():
        raise UsageError(f"{run_dir} is not a run folder (no run.json): pass runs/<time>-<profile>")

    def read(name: str, default):
        try:
            return json.loads((run_dir / name).read_text())
        except (OSError, ValueError):
            return default
    return judge(run_dir, read("run.json", {}), read("timeline.json", []), read("inconclusive.json", []))
