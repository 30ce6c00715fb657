"""Running a server as its system user when we are root (PostgreSQL and RabbitMQ refuse or dislike root)."""
from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from harness.errors import SetupError


def run_as_user(name: str) -> str | None:
    """The system user a server must run as: `name` when we are root (it must exist), else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise SetupError(f"running as root needs the '{name}' system user: run 'make setup' "
                         f"(the Debian package creates it) or run dinerush as a normal user") from None
    return name


def check_reachable(path: Path, user: str | None) -> None:
    """Every folder above `path` must let `user` through (o+x, or owned by it); else one line naming the fix."""
    if user is None:
        return
    uid = pwd.getpwnam(user).pw_uid
    for folder in reversed(Path(path).resolve().parents):
        st = folder.stat()
        if st.st_uid != uid and not st.st_mode & stat.S_IXOTH:
            raise SetupError(f"the '{user}' user cannot enter {folder} (mode {stat.filemode(st.st_mode)}): "
                             f"use a run folder it can reach, or 'chmod o+x {folder}'")


def chown_tree(path: Path, user: str | None) -> None:
    """Hand `path` and everything in it to `user` (symlinks themselves, never their targets); no-op if None."""
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in files + dirs:  # dirs: symlinks to folders are listed there but not walked into
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)
