"""summary.json: run metadata, verdict per checker (counts, examples with the fault windows they are blamed on,
where the violations cluster), SLO results, recovery after each fault, figures, exit code."""
from __future__ import annotations

import dataclasses
import json
import math
from enum import Enum
from typing import Sequence

from harness.audit.figures import Figures
from harness.audit.model import AuditResult, Cluster
from harness.report.where import cluster_lines, where_text
from harness.report.kitchen import Recovery
from harness.errors import Exit
from harness.report.model import FaultWindow, RunMeta
from harness.report.slo import SLOResult

SCHEMA = 1


def jsonable(obj: object) -> object:
    """Dataclasses, enums, tuples and dicts to plain JSON values (enums by value, NaN/inf to null)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj) if not f.name.startswith("_")}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _clusters(clusters: Sequence[Cluster]) -> list[dict]:
    return [{"where": list(c.where), "count": c.count} for c in clusters]


def build_summary(meta: RunMeta, audit: AuditResult | None, figures: Figures | None, slos: Sequence[SLOResult],
                  faults: Sequence[FaultWindow], code: Exit, inconclusive: Sequence[str] = (),
                  recovery: Sequence[Recovery] = ()) -> dict:
    run = jsonable(meta)
    run["duration_s"] = round(meta.duration_s, 3)   # type: ignore[index]
    return {
        "schema": SCHEMA,
        "run": run,
        "exit_code": int(code),
        "exit": code.name.lower(),
        "inconclusive": list(inconclusive),
        "audit": None if audit is None else {
            "verdict": audit.verdict.value,
            "intents": audit.intents,
            "notes": list(audit.notes),
            "checks": [{
                "name": c.name, "verdict": c.verdict.value, "count": c.count, "note": c.note,
                "not_applicable": [s.value for s in c.not_applicable],
                "where": where_text(c.clusters), "clusters": _clusters(c.clusters), "lines": cluster_lines(c),
                "systems": {s.system.value: {"count": s.count, "applicable": s.applicable,
                                             "where": where_text(s.clusters),
                                             "clusters": _clusters(s.clusters),
                                             "examples": [{"ref": e.ref, "why": e.why, "windows": list(e.windows)}
                                                          for e in s.examples]}
                            for s in c.systems},
            } for c in audit.checks],
        },
        "slos": jsonable(list(slos)),
        "recovery": [{**jsonable(r), "text": r.text} for r in recovery],  # type: ignore[dict-item]
        "figures": jsonable(figures),
        "faults": jsonable(list(faults)),
    }


def dumps(summary: dict) -> str:
    return json.dumps(summary, ensure_ascii=False, indent=2)
