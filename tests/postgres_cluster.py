"""A throwaway PostgreSQL cluster for the tests (issue 23): `initdb` + `pg_ctl` in a
temporary directory, on a unix socket there, fsync off, started once per test session;
each test gets a database of its own.

`initdb` refuses to run as root: as root the cluster belongs to `nobody` (the directory is
handed to it), otherwise to whoever runs the tests. The binaries are looked up on the PATH,
then in /usr/lib/postgresql/*/bin (Debian's `postgresql` package) and /usr/local/bin, or
wherever `DUTYBOT_PG_BIN` says. Without them the PostgreSQL tests are skipped, loudly; in
CI (`CI=true`) they fail instead: CI must have run them."""

from __future__ import annotations

import concurrent.futures
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

UNPRIVILEGED = "nobody"
_names = itertools.count(1)


def find_bin() -> Path | None:
    """The folder with initdb and pg_ctl, or None."""
    wanted = os.environ.get("DUTYBOT_PG_BIN")
    if wanted:
        return Path(wanted) if (Path(wanted) / "initdb").exists() else None
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in [*candidates, "/usr/local/bin"]:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def unavailable(reason: str) -> None:
    """Skip loudly, or fail in CI: the PostgreSQL tests must run there."""
    message = (f"POSTGRESQL TESTS NOT RUN: {reason}. Install PostgreSQL (Debian: "
               f"apt-get install -y postgresql) or set DUTYBOT_PG_BIN; see README "
               f"\"PostgreSQL\".")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="dutybot-pg-"))
        self.data = self.root / "data"
        self.socket = self.root  # the unix socket's folder
        self.port = 5432  # on the socket only: no TCP port is opened
        self.user = "postgres"
        self._as: list[str] = []
        self._template: str | None = None
        if os.geteuid() == 0:
            owner = pwd.getpwnam(UNPRIVILEGED)
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", UNPRIVILEGED, "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120,
                       cwd=self.root)

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
        self.resume()

    def resume(self) -> None:
        """The server (again), on the same data."""
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.socket}' "
                   f"-c port={self.port} -c fsync=off -c synchronous_commit=off "
                   f"-c full_page_writes=off -c max_connections=200")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.root / "log"), "-o", options, "-w", "start")

    def pause(self) -> None:
        """The server stopped, its data kept: every connection to it is dropped."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return (f"postgresql://{self.user}@/{database}?host={self.socket}"
                f"&port={self.port}")

    def new_database(self, migrated: bool = False) -> str:
        """A fresh database, empty or (`migrated`) at the latest schema; its URL. A migrated
        one is a copy of a template migrated once per session: copying is faster than
        migrating."""
        import psycopg

        template = self._migrated_template() if migrated else "template0"
        name = f"test_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\' '
                         f"LC_COLLATE 'C' LC_CTYPE 'C'")
        return self.url(name)

    def _migrated_template(self) -> str:
        if self._template is None:
            import asyncio

            from storage.db import Database

            url = self.new_database()

            async def migrate() -> None:
                db = await Database.open(url)
                try:
                    await db.migrate()
                finally:
                    await db.close()

            # in a thread of its own: the test asking may already run an event loop
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, migrate()).result()
            self._template = url.split("/")[3].split("?")[0]
        return self._template

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.split("/")[3].split("?")[0]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
