"""A consistent copy of the live database, taken while the bot runs.

SQLite's online backup API copies the database as one read transaction sees it, so the
copy is one moment's state, not a torn file. The copy is made
under a fresh hidden name beside the target and gets the target's name only when whole
and checked; whatever fails, nothing half-written stays behind.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

# All at once, in one read transaction: the bot's database is in WAL mode, where a reader
# never holds up a writer, so the copy is one moment's state and the bot writes on
# meanwhile. (Copied in steps, every write in between would restart the copy from the
# beginning: on a busy bot a large database might never finish.)
PAGES_PER_STEP = -1


class BackupProblem(Enum):
    NO_SOURCE = "no database"
    TARGET_EXISTS = "target exists"
    NO_FOLDER = "no folder"
    NOT_A_FOLDER = "not a folder"
    NOT_WRITABLE = "not writable"
    FAILED = "copy failed"
    DAMAGED = "integrity check failed"
    NO_PG_DUMP = "pg_dump not found"


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


Progress = Callable[[int, int], None]  # (done, total), for a progress bar at the console


def backup(source: Path, target: Path, progress: Progress | None = None) -> BackupResult:
    if not source.is_file():
        raise BackupError(BackupProblem.NO_SOURCE, source)
    folder = _target_folder(target)
    handle, name = _partial(target, folder)
    os.close(handle)
    partial = Path(name)
    try:
        os.chmod(partial, source.stat().st_mode & 0o666)  # as private as the database
        with closing(sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True,
                                     timeout=30)) as src, \
                closing(sqlite3.connect(partial)) as dst:
            src.backup(dst, pages=PAGES_PER_STEP, progress=None if progress is None else
                       lambda _status, remaining, total: progress(total - remaining, total))
            # a file that stands alone: opening it (to check or restore it) leaves no -wal
            # or -shm beside it; a restored database is put in WAL mode again when opened
            dst.execute("PRAGMA journal_mode = DELETE").fetchone()
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
        for leftover in (partial, *(Path(f"{partial}{e}") for e in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return BackupResult(path=target, size=target.stat().st_size, schema_version=version)


# --- the engine's backup: one seam, chosen by the database in use --------------------------

class BackupEngine(Protocol):
    """How this database is copied while it runs: SQLite's online backup API, or on
    PostgreSQL (`DUTYBOT_DATABASE_URL`) `pg_dump --format=custom`; `backup_engine` picks
    it; the schedule, the names, the rotation and the admins' notice
    (bot/services/backups.py) are the same for both."""

    suffix: str  # what the engine's files end in

    def take(self, target: Path, progress: Progress | None = None) -> BackupResult: ...


@dataclass(frozen=True, slots=True)
class SqliteBackup:
    database: Path
    suffix: str = ".db"

    def take(self, target: Path, progress: Progress | None = None) -> BackupResult:
        return backup(self.database, target, progress)


PG_DUMP_TIMEOUT_S = 3600


@dataclass(frozen=True, slots=True)
class PgDumpBackup:
    """PostgreSQL's own backup: `pg_dump --format=custom` (one snapshot of the database,
    taken while the bot writes on), read back with `pg_restore --list` before it gets the
    target's name. The password goes to pg_dump in its environment (PGPASSWORD), never on
    its command line, where every user of the machine could read it. No pg_dump on the
    PATH: a BackupError saying so (never a dump of our own making)."""

    url: str
    suffix: str = ".dump"

    def take(self, target: Path, progress: Progress | None = None) -> BackupResult:
        """(pg_dump says nothing of how far it is: `progress` is not called.)"""
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError(BackupProblem.NO_PG_DUMP, target)
        folder = _target_folder(target)
        url, env = _without_password(self.url)
        version = _pg_schema_version(self.url, target)
        handle, name = _partial(target, folder)
        partial = Path(name)
        try:
            try:
                os.fchmod(handle, 0o600)  # the office's data: readable by its owner only
            finally:
                os.close(handle)
            done = subprocess.run([pg_dump, "--format=custom", "--no-owner",
                                   f"--file={partial}", f"--dbname={url}"],
                                  env=env, capture_output=True, text=True,
                                  timeout=PG_DUMP_TIMEOUT_S, check=False)
            if done.returncode != 0:
                raise BackupError(BackupProblem.FAILED, target,
                                  detail=_first_line(done.stderr, self.url))
            pg_restore = shutil.which("pg_restore")
            if pg_restore is not None:  # the file reads back as a whole archive
                check = subprocess.run([pg_restore, "--list", str(partial)],
                                       capture_output=True, text=True, timeout=600,
                                       check=False)
                if check.returncode != 0:
                    raise BackupError(BackupProblem.DAMAGED, target,
                                      detail=_first_line(check.stderr, self.url))
            if target.exists():  # someone took the name meanwhile: theirs stays
                raise BackupError(BackupProblem.TARGET_EXISTS, target)
            partial.rename(target)
        except subprocess.TimeoutExpired:
            raise BackupError(BackupProblem.FAILED, target, detail="pg_dump timed out") from None
        except OSError as exc:
            raise BackupError(BackupProblem.NOT_WRITABLE, folder, errno=exc.errno) from None
        finally:
            partial.unlink(missing_ok=True)
        return BackupResult(path=target, size=target.stat().st_size, schema_version=version)


def _target_folder(target: Path) -> Path:
    if target.exists() or target.is_symlink():
        raise BackupError(BackupProblem.TARGET_EXISTS, target)
    folder = target.absolute().parent
    if not folder.exists():
        raise BackupError(BackupProblem.NO_FOLDER, folder)
    if not folder.is_dir():
        raise BackupError(BackupProblem.NOT_A_FOLDER, folder)
    return folder


def _partial(target: Path, folder: Path) -> tuple[int, str]:
    try:  # a name of its own, so that no one else's file is ever overwritten or removed
        return tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(BackupProblem.NOT_WRITABLE, folder, errno=exc.errno) from None


def _without_password(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and pg_dump's environment with it (PGPASSWORD)."""
    env = dict(os.environ)
    parts = urlsplit(url)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = unquote(parts.password)
    netloc = parts.netloc.replace(f":{parts.password}@", "@", 1)
    return urlunsplit(parts._replace(netloc=netloc)), env


def _first_line(text: str, url: str, tool: str = "pg_dump") -> str:
    password = urlsplit(url).password
    lines = [line for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else f"{tool} failed"
    return line.replace(password, "***") if password else line


def _pg_schema_version(url: str, target: Path) -> int:
    """The schema version the dump will hold (what `dutybot_schema` says now)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            row = conn.execute("SELECT version FROM dutybot_schema").fetchone()
    except psycopg.Error as exc:
        raise BackupError(BackupProblem.FAILED, target,
                          detail=_first_line(str(exc), url)) from None
    return int(row[0]) if row else 0


def backup_engine(db_path: Path, database_url: str | None = None) -> BackupEngine:
    """The backup of the database in use: pg_dump's on PostgreSQL, else SQLite's."""
    if database_url is not None:
        return PgDumpBackup(database_url)
    return SqliteBackup(db_path)


# --- the backup folder ------------------------------------------------------------------

def folder_names(folder: Path) -> list[str]:
    """The names in the backup folder (none when it does not exist yet or cannot be read:
    then the backup itself fails, and says why)."""
    try:
        return [entry.name for entry in os.scandir(folder) if entry.is_file()]
    except OSError:
        return []


def make_folder(folder: Path) -> None:
    """The backup folder, made if missing; a BackupError when it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BackupError(BackupProblem.NOT_A_FOLDER, folder) from None
    except OSError as exc:
        raise BackupError(BackupProblem.NOT_WRITABLE, folder, errno=exc.errno) from None
    if not folder.is_dir():
        raise BackupError(BackupProblem.NOT_A_FOLDER, folder)


LEFTOVER_AGE = 3600  # seconds: a partial copy this old is no copy in progress


def remove_leftovers(folder: Path, prefix: str, now: float) -> list[str]:
    """Partial copies (`<prefix>….partial` and their journals) left by a process killed
    while copying, once they are an hour old by the files' own time (`now`: time.time());
    what was removed."""
    removed = []
    for name in folder_names(folder):
        if not (name.startswith(prefix) and name.endswith(
                (".partial", ".partial-journal", ".partial-wal", ".partial-shm"))):
            continue
        path = folder / name
        try:
            if now - path.stat().st_mtime > LEFTOVER_AGE:
                path.unlink()
                removed.append(name)
        except OSError:
            continue
    return removed


def remove_file(path: Path) -> bool:
    """Remove one of our old backups; False (and the file stays) if the system refuses."""
    try:
        path.unlink(missing_ok=True)
        for extra in ("-wal", "-shm"):  # left by someone who opened it in place
            Path(f"{path}{extra}").unlink(missing_ok=True)
        return True
    except OSError:
        return False


# --- restore ----------------------------------------------------------------------------

#: Tables every dutybot database has (storage/migrations/0001_initial.sql): a file without
#: them is someone else's SQLite database.
OUR_TABLES = frozenset({"units", "persons", "items", "events", "processed_updates"})


class RestoreProblem(Enum):
    NO_FILE = "no such file"
    SAME_FILE = "the file is the database itself"
    UNREADABLE = "cannot read"
    NOT_A_DATABASE = "not an SQLite database"
    FOREIGN = "not a dutybot database"
    DAMAGED = "integrity check failed"
    NEWER = "newer schema"
    NOT_A_DUMP = "not a pg_dump archive of a dutybot database"  # PostgreSQL
    NO_PG_RESTORE = "pg_restore not found"  # PostgreSQL


class RestoreError(Exception):
    def __init__(self, problem: RestoreProblem, path: Path, *, detail: str = "",
                 version: int = 0, latest: int = 0) -> None:
        super().__init__(f"{problem.value}: {path}" + (f": {detail}" if detail else ""))
        self.problem = problem
        self.path = path
        self.detail = detail
        self.version = version
        self.latest = latest


def check_backup(path: Path, latest: int, database: Path | None = None) -> int:
    """The schema version of a dutybot backup that may be restored; a RestoreError naming
    why not otherwise. Our schema version is SQLite's `user_version`, which every migration
    sets (storage/db.py); nothing is written to the file."""
    if not path.is_file():
        raise RestoreError(RestoreProblem.NO_FILE, path)
    if database is not None and database.exists() and path.resolve() == database.resolve():
        raise RestoreError(RestoreProblem.SAME_FILE, path)
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True,
                                     timeout=30)) as conn:
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version < 1 or not tables >= OUR_TABLES:
                raise RestoreError(RestoreProblem.FOREIGN, path)
            if version > latest:
                raise RestoreError(RestoreProblem.NEWER, path, version=version, latest=latest)
            (check,) = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise RestoreError(RestoreProblem.NOT_A_DATABASE, path, detail=str(exc)) from None
        raise RestoreError(RestoreProblem.UNREADABLE, path, detail=str(exc)) from None
    if check != "ok":
        raise RestoreError(RestoreProblem.DAMAGED, path, detail=str(check))
    return version


def check_pg_backup(path: Path, latest: int) -> int:
    """(PostgreSQL) The schema version of a `pg_dump --format=custom` archive of a dutybot
    database that may be restored; a RestoreError naming why not otherwise. pg_restore reads
    the archive's table of contents and the one row of `dutybot_schema`; nothing is
    written anywhere."""
    if not path.is_file():
        raise RestoreError(RestoreProblem.NO_FILE, path)
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise RestoreError(RestoreProblem.NO_PG_RESTORE, path)

    def read(*args: str) -> str:
        try:
            done = subprocess.run([pg_restore, *args, str(path)], capture_output=True,
                                  text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RestoreError(RestoreProblem.UNREADABLE, path, detail=str(exc)) from None
        if done.returncode != 0:
            lines = [x for x in done.stderr.splitlines() if x.strip()] or ["pg_restore failed"]
            raise RestoreError(RestoreProblem.NOT_A_DUMP, path, detail=lines[0])
        return done.stdout

    contents = read("--list")
    if not all(f" TABLE public {table} " in contents for table in OUR_TABLES):
        raise RestoreError(RestoreProblem.NOT_A_DUMP, path, detail="no dutybot tables")
    data = read("--file=-", "--data-only", "--table=dutybot_schema").splitlines()
    starts = [n for n, line in enumerate(data) if line.startswith("COPY public.dutybot_schema")]
    try:
        version = int(data[starts[0] + 1].strip())
    except (IndexError, ValueError):
        raise RestoreError(RestoreProblem.NOT_A_DUMP, path, detail="no schema version") from None
    if version > latest:
        raise RestoreError(RestoreProblem.NEWER, path, version=version, latest=latest)
    return version


def restore_postgres(path: Path, url: str) -> None:
    """(PostgreSQL) A checked archive (check_pg_backup) put back into the database at `url`
    by pg_restore, in one transaction: what the archive holds is dropped and made again
    from it; if anything fails, nothing changed. The caller holds the run lock."""
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise RestoreError(RestoreProblem.NO_PG_RESTORE, path)
    address, env = _without_password(url)
    done = subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner",
                           "--single-transaction", f"--dbname={address}", str(path)],
                          capture_output=True, text=True, env=env, timeout=24 * 3600)
    if done.returncode != 0:
        raise BackupError(BackupProblem.FAILED, path,
                          detail=_first_line(done.stderr, url, "pg_restore"))


@dataclass(frozen=True, slots=True)
class Restored:
    database: Path
    version: int  # of the backup, before it was migrated
    aside: Path | None  # where the database it replaced now is


def restore(path: Path, database: Path, stamp: str) -> Restored:
    """Put a checked backup in the database's place; the database it replaces (with its
    WAL and shared-memory files) is renamed to `<name>.before-restore-<stamp>`, not
    removed. The caller holds the run lock and has checked the file (check_backup). The
    copy is made with the backup API under a hidden name beside the database, so the
    database's name only ever holds a whole file: the one before, or the restored one."""
    database = database.absolute()
    staging = database.with_name(f".{database.name}.restore-{stamp}")
    result = backup(path, staging)  # a whole, checked copy (the backup's WAL included)
    aside = None
    try:
        if database.exists():
            aside = database.with_name(f"{database.name}.before-restore-{stamp}")
            n = 1
            while aside.exists() or Path(f"{aside}-wal").exists():  # never over an earlier one
                n += 1
                aside = database.with_name(f"{database.name}.before-restore-{stamp}-{n}")
            os.rename(database, aside)
            for extra in ("-wal", "-shm"):
                side = Path(f"{database}{extra}")
                if side.exists():
                    os.rename(side, f"{aside}{extra}")
        os.rename(staging, database)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return Restored(database=database, version=result.schema_version, aside=aside)
