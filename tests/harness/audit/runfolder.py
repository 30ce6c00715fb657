"""A hand-built History written as a run folder (ledger.jsonl + meta, final_reads.json and, as a run writes it, its
columnar copy), and audited both ways: the columnar fast path and the pure-Python path, for tests that compare them."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.audit import AuditOptions, AuditResult, Figures, audit, figures
from harness.audit import readsdump
from harness.audit.evidence import Evidence, evidence
from harness.finish import Loaded, load_run
from harness.report.kitchen import KitchenLags
from scenarios.ledger import write_entries
from auditbuild import History


def write_folder(run_dir: Path, h: History, copy: bool = True) -> Path:
    """`copy`: write the final reads as a run does (with the columnar copy), else as older runs did (JSON only)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "ledger.jsonl", "w", encoding="utf-8") as fp:
        n = write_entries(fp, h.entries)
    (run_dir / "ledger.meta.json").write_text(json.dumps({"started": n, "written": n, "conserved": True,
                                                          "complete": True}))
    if copy:
        readsdump.save(run_dir, h.reads)
    else:
        (run_dir / "final_reads.json").write_text(h.reads.to_json())
    return run_dir


@dataclass
class Audited:
    """Everything the audit hands on, in a form that compares exactly (dict order included)."""

    loaded: Loaded
    result: AuditResult
    figures: Figures
    evidence: Evidence
    lags: tuple[list[float], list[float]]

    def same_as(self, other: "Audited") -> list[str]:
        """What differs from `other` (empty: nothing)."""
        diffs = []
        for name in ("result", "figures", "evidence", "lags"):
            if getattr(self, name) != getattr(other, name):
                diffs.append(f"{name}:\n  {getattr(self, name)}\n  {getattr(other, name)}")
        for name in ("intents_by_kind", "told_order", "told_payment"):
            if list(getattr(self.figures, name).items()) != list(getattr(other.figures, name).items()):
                diffs.append(f"figures.{name} order")
        if (self.loaded.problems, self.loaded.first_started) != (other.loaded.problems, other.loaded.first_started):
            diffs.append("loaded")
        return diffs


def audit_folder(run_dir: Path, h: History, *, fast: bool) -> Audited:
    loaded = load_run(run_dir, fast=fast)
    ix = loaded.index(AuditOptions(timeline=h.timeline))
    lags = KitchenLags.from_index(ix)
    ev = evidence(ix, min_paid=1, scheduled=[], stamps=[], slos=[], expected_slos=[])
    return Audited(loaded, audit(None, None, index=ix), figures(None, None, index=ix), ev,
                   (np.asarray(lags.paid).tolist(), np.asarray(lags.received).tolist()))
