"""Lines of a file picked by their byte lengths (each line: its bytes and a newline), as the columnar fast path reads
back the rows it did not prove clean, without the rest of the file in memory."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def lines_but(path: Path, sizes: np.ndarray, rows) -> list[str]:
    """Every line of `path` but those numbered in `rows` (0-based); `sizes` are the lines' byte lengths."""
    return _lines(path, sizes, _but(len(sizes), rows))


def lines_only(path: Path, sizes: np.ndarray, rows) -> list[str]:
    """The lines of `path` numbered in `rows`, in file order."""
    return _lines(path, sizes, ~_but(len(sizes), rows))


def _but(n: int, rows) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    keep[np.asarray(rows, dtype=np.int64)] = False
    return keep


def _lines(path: Path, sizes: np.ndarray, keep: np.ndarray) -> list[str]:
    """The lines of `path` where `keep`, read by their offsets (each row is one line: its byte length and a
    newline; a file that does not add up to that, e.g. a blank line the reader skipped, raises ValueError)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    ends = np.cumsum(sizes + 1)
    if not (ends.size and path.stat().st_size in (ends[-1], ends[-1] - 1)):
        raise ValueError(f"{path.name}: its lines are not the rows read")
    picked = []
    with open(path, "rb") as fp:
        for start, size in zip((ends - sizes - 1)[keep].tolist(), sizes[keep].tolist()):
            fp.seek(start)
            raw = fp.read(size + 1)
            if raw[size:] not in (b"\n", b""):
                raise ValueError(f"{path.name}: its lines are not the rows read")
            picked.append(raw.decode("utf-8"))
    return picked
