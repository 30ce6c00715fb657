"""Files written whole or not at all: a temp file in the same folder, renamed onto the target (a reader sees the
old file or the whole new one, never a part, even when the writer is killed)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def atomic_replace(path: Path, write: Callable[[Path], None]) -> None:
    """`write(tmp)` fills a temp file next to `path`, which then replaces `path`; the temp file never stays."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)                 # mkstemp makes 0600; reports and run files are for people and CI
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, text: str) -> None:
    """`text` as UTF-8 at `path`, atomically."""
    atomic_replace(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
