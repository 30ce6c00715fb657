"""The steps' ledgers merged into one run ledger (+ meta), so the audit judges every intent of the search."""
from __future__ import annotations

from pathlib import Path

from scenarios.ledger_sink import LedgerMeta


def merge_step_ledgers(run_dir: Path, step_dirs: list[Path]) -> None:
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
                meta = LedgerMeta.from_json((d / "ledger.meta.json").read_text())
            except (OSError, ValueError):
                missing.append(d.name)
                continue
            started += meta.started
            written += meta.written
            conserved = conserved and meta.conserved
            complete = complete and meta.complete
    merged = LedgerMeta(format="merged", steps=tuple(d.name for d in step_dirs), started=started, written=written,
                        conserved=conserved and not missing, complete=complete and not missing,
                        missing_meta=tuple(missing))
    (run_dir / "ledger.meta.json").write_text(merged.to_json())
