"""The end of a run: audit the ledger against the final reads, judge the SLOs, write the reports.

Also `reaudit(RUN)`: the same from a finished run folder's saved files, offline.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness.audit import AuditOptions, Index, audit, figures
from harness.audit.clean import CleanPart
from harness.audit.columnar import split_run
from harness.audit.evidence import SLOSeen, evidence
from harness.audit.readsdump import matching_copy
from harness.audit.history import FinalReads
from harness.errors import Exit, UsageError
from harness.run_record import RunRecord
from harness.report import (FaultWindow, RunMeta, evaluate_slos, find_stats_history,
                            read_stats_history, write_reports)
from harness.report.kitchen import KitchenLags, recovery
from harness.report.slo import SLOStatus
from harness.report.where import cluster_lines, timeline
from scenarios.ledger import LedgerEntry, read_ledger
from scenarios.ledger_sink import LedgerMeta


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
    return entries, ledger_problems(run_dir, len(entries), workers)


def ledger_problems(run_dir: Path, count: int, workers: int = 0) -> list[str]:
    """Why a ledger of `count` entries cannot be trusted, from its ledger.meta.json (empty: it can)."""
    meta_path = run_dir / "ledger.meta.json"
    try:
        meta = LedgerMeta.from_json(meta_path.read_text())
    except (OSError, ValueError):
        return [f"no readable {meta_path.name}: cannot prove every intent was written"]
    if not meta.conserved or not meta.complete:
        return [f"ledger not whole: {meta.started} intents started, {meta.written} written"
                + ("" if meta.complete else ", a worker's final batch is missing")]
    if meta.written != count:
        return [f"ledger has {count} entries but the writer counted {meta.written}"]
    shipped = len(meta.nodes)
    if workers and shipped < workers:
        return [f"ledger not whole: only {shipped} of {workers} Locust workers shipped their entries"]
    return []


def load_reads(run_dir: Path) -> tuple[FinalReads | None, list[str]]:
    """The final reads (None when absent or unreadable), and why they cannot be used: a malformed file is a run
    without evidence (inconclusive), never a crash."""
    path = run_dir / "final_reads.json"
    try:
        return FinalReads.read(path), []   # streamed: no copy of the text in memory
    except FileNotFoundError:
        return None, []
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        return None, [f"{path} is not readable final reads ({type(err).__name__}: {str(err)[:120]}); "
                      "run again to read the systems of record"]


@dataclass
class Loaded:
    """A run folder's ledger and final reads as the audit takes them: `entries` and `reads` hold what the Index
    must see; `clean` what the columnar fast path proved clean and left out (None: it was not taken)."""

    entries: list[LedgerEntry] | None
    reads: FinalReads | None
    problems: list[str]                  # why the ledger cannot be trusted
    clean: CleanPart | None = None
    reads_problems: list[str] = field(default_factory=list)   # why final_reads.json could not be read

    @property
    def first_started(self) -> float:
        """The earliest intent's start (0.0 without a ledger)."""
        if self.clean is not None:
            return self.clean.whole.first_started
        return min((e.started_at for e in self.entries), default=0.0) if self.entries else 0.0

    def index(self, options: AuditOptions) -> Index:
        return Index.build(self.entries, self.reads, options, clean=self.clean)


def load_run(run_dir: Path, workers: int = 0, fast: bool = True) -> Loaded:
    """The one way a run folder is loaded for its audit (`dinerush audit`, a run's finish, bench/audit_speed.py):
    the columnar fast path when it can vouch for the files, else the Python loaders."""
    ledger, reads = run_dir / "ledger.jsonl", run_dir / "final_reads.json"
    if fast and ledger.exists() and reads.exists():
        with ThreadPoolExecutor(max_workers=1) as pool:
            copy = pool.submit(matching_copy, reads)    # its digests are taken while DuckDB reads the ledger
            split = split_run(ledger, reads, copy.result)
        if split is not None:
            count = len(split.entries) + split.clean.intents
            return Loaded(split.entries, split.reads, ledger_problems(run_dir, count, workers), split.clean)
    entries, problems = load_ledger(run_dir, workers)
    reads, unreadable = load_reads(run_dir)
    return Loaded(entries, reads, problems, reads_problems=unreadable)


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


def judge(run_dir: Path, run: RunRecord, stamps: list[dict], inconclusive: list[str], say=print) -> Exit:
    """Audit + SLOs + evidence floor + blame + reports for one run folder; `run` is its run.json."""
    loaded = load_run(run_dir, run.workers)
    problems, reads = loaded.problems, loaded.reads
    inconclusive = inconclusive + problems
    if reads is None:
        inconclusive += loaded.reads_problems or ["no final reads (final_reads.json)"]
    started = run.load_started or loaded.first_started
    ended = run.load_ended or started
    windows = fault_windows(stamps, started)
    index = loaded.index(AuditOptions(timeline=timeline(windows, started, ended)))
    result = audit(None, None, index=index)
    figs = figures(None, None, index=index)
    cfg = run.slo_config
    history_path = find_stats_history(run_dir)
    history = read_stats_history(history_path) if history_path else None
    lags = KitchenLags.from_index(index) if reads is not None else None
    slos = evaluate_slos(cfg, history, windows, started, kitchen=lags,
                         kitchen_applicable=reads is None or "tickets" not in reads.absent) if history is not None else ()
    healed = recovery(windows, started, ended, cfg, history=history, lags=lags)
    ev = evidence(index, min_paid=run.profile.min_paid, scheduled=run.scheduled_faults, stamps=stamps,
                  slos=[SLOSeen(s.name, s.detail if s.status is SLOStatus.UNKNOWN else None) for s in slos],
                  expected_slos=[s.name for s in cfg.slos()])
    inconclusive += ev.gaps
    extra = dict(run.extra)
    extra["paid_end_to_end"] = str(ev.paid_end_to_end)
    if ev.notes:
        extra["evidence"] = "; ".join(ev.notes)
    prof = run.profile
    meta = RunMeta(run_id=run_dir.name, profile=prof.name, started_at=started, ended_at=ended,
                   target=run.target, seed=run.seed, users=prof.users, schedule=prof.schedule, bugs=run.bugs,
                   extra=extra)
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


def finish(ctx, record: RunRecord, reads: FinalReads | None, complete: bool) -> Exit:
    """Complete run.json with what the session saw, save the timeline and the reasons it is inconclusive, judge."""
    run = record.finished(ctx)
    (ctx.run_dir / "run.json").write_text(run.to_json())
    stamps = [s.as_dict() for s in ctx.stamps]
    (ctx.run_dir / "timeline.json").write_text(json.dumps(stamps, indent=1))
    inconclusive = list(ctx.inconclusive)
    if not complete and not inconclusive:
        inconclusive.append("the run did not complete")
    (ctx.run_dir / "inconclusive.json").write_text(json.dumps(inconclusive))
    return judge(ctx.run_dir, run, stamps, inconclusive, ctx.progress.line)


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
    run = RunRecord.from_json((run_dir / "run.json").read_text(), where=str(run_dir / "run.json"))
    return judge(run_dir, run, read("timeline.json", []), read("inconclusive.json", []))
