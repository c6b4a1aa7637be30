"""A consistent copy of the live database, taken while the bot runs.

SQLite's online backup API copies page by page and restarts a step when a writer changed
what it had copied, so the copy is one moment's state, not a torn file. The copy is made
under a fresh hidden name beside the target and gets the target's name only when whole
and checked; whatever fails, nothing half-written stays behind.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

PAGES_PER_STEP = 1024  # let the bot's writes in between steps


class BackupProblem(Enum):
    NO_SOURCE = "no database"
    TARGET_EXISTS = "target exists"
    NO_FOLDER = "no folder"
    NOT_A_FOLDER = "not a folder"
    NOT_WRITABLE = "not writable"
    FAILED = "copy failed"
    DAMAGED = "integrity check failed"


class BackupError(Exception):
    """Why there is no backup: `path` is what it concerns (the database, the target or its
    folder), `errno` the system's reason where there is one, `detail` SQLite's words."""

    def __init__(self, problem: BackupProblem, path: Path, *, errno: int | None = None,
                 detail: str = "") -> None:
        super().__init__(f"{problem.value}: {path}" + (f": {detail}" if detail else ""))
        self.problem = problem
        self.path = path
        self.errno = errno
        self.detail = detail


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    schema_version: int


def backup(source: Path, target: Path) -> BackupResult:
    if not source.is_file():
        raise BackupError(BackupProblem.NO_SOURCE, source)
    if target.exists() or target.is_symlink():
        raise BackupError(BackupProblem.TARGET_EXISTS, target)
    folder = target.absolute().parent
    if not folder.exists():
        raise BackupError(BackupProblem.NO_FOLDER, folder)
    if not folder.is_dir():
        raise BackupError(BackupProblem.NOT_A_FOLDER, folder)
    try:  # a name of its own, so that no one else's file is ever overwritten or removed
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".partial")
        os.close(handle)
    except OSError as exc:
        raise BackupError(BackupProblem.NOT_WRITABLE, folder, errno=exc.errno) from None
    partial = Path(name)
    try:
        os.chmod(partial, source.stat().st_mode & 0o666)  # as private as the database
        with closing(sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True,
                                     timeout=30)) as src, \
                closing(sqlite3.connect(partial)) as dst:
            src.backup(dst, pages=PAGES_PER_STEP)
            (check,) = dst.execute("PRAGMA integrity_check").fetchone()
            (version,) = dst.execute("PRAGMA user_version").fetchone()
        if check != "ok":
            raise BackupError(BackupProblem.DAMAGED, source, detail=str(check))
        if target.exists():  # someone took the name meanwhile: theirs stays
            raise BackupError(BackupProblem.TARGET_EXISTS, target)
        partial.rename(target)  # only a complete, checked copy gets the name asked for
    except sqlite3.Error as exc:
        raise BackupError(BackupProblem.FAILED, source, detail=str(exc)) from None
    except OSError as exc:
        raise BackupError(BackupProblem.NOT_WRITABLE, folder, errno=exc.errno) from None
    finally:
        for leftover in (partial, Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
    return BackupResult(path=target, size=target.stat().st_size, schema_version=version)
