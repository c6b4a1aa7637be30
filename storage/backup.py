"""A consistent copy of the live database, taken while the bot runs.

SQLite's online backup API copies page by page and restarts a step when a writer changed
what it had copied, so the copy is one moment's state, not a torn file.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

PAGES_PER_STEP = 1024  # let the bot's writes in between steps


class BackupError(Exception):
    """One line for the operator."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    schema_version: int


def backup(source: Path, target: Path) -> BackupResult:
    if not source.exists():
        raise BackupError(f"database {source} does not exist")
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name")
    if not target.resolve().parent.is_dir():
        raise BackupError(f"folder {target.resolve().parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    try:
        with closing(sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True,
                                     timeout=30)) as src, \
                closing(sqlite3.connect(partial)) as dst:
            src.backup(dst, pages=PAGES_PER_STEP)
            (check,) = dst.execute("PRAGMA integrity_check").fetchone()
            (version,) = dst.execute("PRAGMA user_version").fetchone()
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        partial.rename(target)  # only a complete, checked copy gets the name asked for
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=target, size=target.stat().st_size, schema_version=version)
