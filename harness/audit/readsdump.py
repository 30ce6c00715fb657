"""The final reads on disk: final_reads.json (the system of record humans and the Python path read) and its columnar
copy final_reads.parquet, written together at a run's end from the same text, so `dinerush audit` skips the JSON
decoding (most of the fast path's cost at 1M intents).

The copy is the fast path's table r of the final reads (harness.audit.columnar: one row per line of the JSON, its
fields decoded, ids and items as their surrogates), made by the fast path's own SQL from the very text written; its
meta file final_reads.parquet.json records the JSON's size and SHA-256, the copy's SHA-256, a digest of that SQL and
the DuckDB version. The audit loads the copy only when all of these match (`matching_copy`); a missing, stale,
foreign or damaged copy means: parse the JSON, as for run folders written before the copy existed.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import mmap
import os
import tempfile
from pathlib import Path

import numpy as np

from harness.atomic import atomic_replace
from harness.audit.history import FinalReads

log = logging.getLogger(__name__)

JSON_NAME, COPY_NAME, META_NAME = "final_reads.json", "final_reads.parquet", "final_reads.parquet.json"
FORMAT = "dinerush-final-reads-table-r/1"


def save(run_dir: Path, reads: FinalReads) -> None:
    """Write final_reads.json and its columnar copy (each atomically: a temp file renamed into place). No copy for
    reads of a target lacking a system of record: the fast path declines those."""
    text = reads.to_json()
    data = text.encode("utf-8")
    write_json(run_dir, data)
    size, digest = len(data), hashlib.sha256(data).hexdigest()
    del data
    if not reads.absent:
        write_copy(run_dir, text, size, digest)


def write_json(run_dir: Path, data: bytes) -> None:
    """final_reads.json, atomically; any columnar copy of an earlier dump is removed first (it no longer matches)."""
    _remove_copy(run_dir)
    atomic_replace(run_dir / JSON_NAME, lambda tmp: tmp.write_bytes(data))


def write_copy(run_dir: Path, text: str, size: int, digest: str) -> bool:
    """final_reads.parquet (+ its meta file) from `text`, just written as final_reads.json (`size` bytes of UTF-8,
    SHA-256 `digest`), never re-read from disk; False when not written: a blank line (an empty table, which the
    fast path declines anyway) or DuckDB failing."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()                        # the final newline ends the last line; it opens no row
    if "" in lines:
        return False
    try:
        atomic_replace(run_dir / COPY_NAME, functools.partial(_copy_to, lines=lines))
        del lines
        meta = _expected(size, digest) | {"copy_sha256": _file_digest(run_dir / COPY_NAME)}
        atomic_replace(run_dir / META_NAME, lambda tmp: tmp.write_text(json.dumps(meta, indent=1)))
    except Exception as err:   # noqa: BLE001 — the copy only saves time: the JSON alone is the whole record
        log.warning("final reads: columnar copy not written (%s: %s); the audit will parse the JSON",
                    type(err).__name__, err)
        _remove_copy(run_dir)
        return False
    return True


def matching_copy(json_path: Path) -> Path | None:
    """The columnar copy next to `json_path` when its meta file says it was made by this SQL from exactly these
    bytes, and the copy is itself unchanged since (else None: parse the JSON)."""
    path, meta_path = json_path.with_name(COPY_NAME), json_path.with_name(META_NAME)
    try:
        meta = json.loads(meta_path.read_text())
        wanted = _expected(json_path.stat().st_size, None)
        if not (isinstance(meta, dict) and all(meta.get(k) == v for k, v in wanted.items())
                and meta.get("copy_sha256") == _file_digest(path)
                and meta.get("json_sha256") == _file_digest(json_path)):
            log.debug("final reads: columnar copy %s does not match %s; parsing the JSON", path, json_path.name)
            return None
    except (OSError, ValueError) as err:   # none, or unreadable: not a copy this path can vouch for
        log.debug("final reads: no usable columnar copy next to %s (%s: %s)", json_path, type(err).__name__, err)
        return None
    return path


def _copy_to(tmp: Path, lines: list[str]) -> None:
    """The table r of the fast path, made from `lines` by its own SQL, saved as Parquet at `tmp`."""
    from harness.audit import columnar

    with tempfile.TemporaryDirectory(prefix="dinerush-reads-") as spill:
        con = columnar.connect(Path(spill))
        try:
            con.register("dump", {"line": np.array(lines, dtype=object)})   # scanned in order (insertion order kept)
            con.execute(columnar.reads_sql("dump"))
            con.execute(f"COPY r TO {columnar.quote(tmp)} (FORMAT parquet)")
        finally:
            con.close()


def _expected(size: int, digest: str | None) -> dict:
    """The meta a copy of a `size`-byte JSON must carry (digests apart): the format, the SQL that made it (with the id
    surrogate: the copy holds surrogates), the DuckDB that ran it."""
    import duckdb

    from harness.audit import columnar

    sql = columnar.reads_sql("LINES") + columnar.ID_HASH
    meta = {"format": FORMAT, "sql_sha256": hashlib.sha256(sql.encode()).hexdigest(),
            "duckdb": duckdb.__version__, "json_size": size}
    return meta if digest is None else meta | {"json_sha256": digest}


def _remove_copy(run_dir: Path) -> None:
    (run_dir / META_NAME).unlink(missing_ok=True)
    (run_dir / COPY_NAME).unlink(missing_ok=True)


def _file_digest(path: Path) -> str:
    """SHA-256 of a file, hashed from its pages mapped in place (no copy through a read buffer)."""
    with open(path, "rb") as fp:
        if os.fstat(fp.fileno()).st_size == 0:
            return hashlib.sha256().hexdigest()
        with mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as pages:
            return hashlib.sha256(pages).hexdigest()
