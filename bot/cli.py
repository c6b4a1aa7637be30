"""`dutybot run | migrate | demo | invite | backup | restore | copy-db | template | import |
export | channel | case | letters`: the console, on click, in Chinese (help texts in
messages/cli_help.py; how to add a command: see "the command line" below)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import html
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from bot.cli_progress import progress_bar
from bot.config import ConfigError, Settings, load_settings
from bot.domain.vocabulary import configure_body
from bot.rules import load_rules
from bot.runlock import RunLocked, hold_run_lock
from messages import cli_help as H
from storage.backup import BackupError
from storage.db import Database, DatabaseUnreachable

log = logging.getLogger("dutybot")


class _RedactingFormatter(logging.Formatter):
    """The token never reaches a log line, tracebacks included, whatever library logs it."""

    def __init__(self, token: str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace(self.token, "<token>") if self.token else text


def setup_logging(token: str = "", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_RedactingFormatter(token))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every URL, token included


class ApiProblem(Exception):
    """The Bot API refused the token or could not be reached; one line."""


async def _bot_username(settings: Settings, token: str) -> str:
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    from messages.cli import api_refused, api_unreachable

    bot = Bot(token, base_url=settings.api_url, base_file_url=settings.file_url)
    try:
        async with bot:
            return bot.username
    except InvalidToken:
        raise ApiProblem(api_refused(settings.telegram_api_base_url)) from None
    except NetworkError as exc:
        raise ApiProblem(api_unreachable(settings.telegram_api_base_url, exc.message)) from None


def cmd_run(settings: Settings) -> int:
    """The bot holds the database's run lock for its whole life (bot/runlock.py): a second
    `dutybot run` on the same database stops in one line, before any network call. The
    lock file goes beside the database, so the settings that say where are checked first."""
    from messages.cli import run_locked

    token = settings.require_token() if settings.has_token() else None
    settings.check_db_writable()
    if settings.database_url is not None:  # unreachable: one line now, not a traceback later
        asyncio.run(_reachable(settings))
    try:  # on PostgreSQL several runs cooperate (bot/leader.py): no lock file
        with (hold_run_lock(settings.db_path) if settings.database_url is None
              else contextlib.nullcontext()):
            if token is not None:
                return _run(settings, token)
            # no Telegram: an office may run on its group robots alone
            if not asyncio.run(_has_robots(settings)):
                settings.require_token()  # says in one line that the token is missing
            return _run_robots(settings)
    except RunLocked as other:
        print(f"dutybot: {run_locked(other.db_path, other.pid)}", file=sys.stderr)
        return 1


async def _reachable(settings: Settings) -> None:
    db = await Database.open(settings.database)
    await db.close()


def _run(settings: Settings, token: str) -> int:
    with _starting():
        from bot.app import ApiUnusable, build_application, serve
        from bot.inbound.webhook import WebhookFailed

        load_rules(settings.rules)  # a bad rules file stops start-up here, in one line
        setup_logging(token)
        app = build_application(settings, token)
    try:
        asyncio.run(serve(app))
    except (ApiUnusable, WebhookFailed) as exc:  # could not start: one line, no traceback
        print(f"dutybot: {exc}", file=sys.stderr)
        return 1
    return 0


@contextlib.contextmanager
def _starting() -> Iterator[None]:
    """`dutybot run`'s imports and set-up, before its loop starts: they make some 90 000
    objects kept for the process's life and next to no garbage, so the cyclic collector
    sleeps through them (its passes cost some 20 ms there), and what they made is then put
    out of its sight (gc.freeze): left in, the first full collection walks it all (30–40
    ms), in the middle of the first getMe and the first answer."""
    gc.freeze()  # what importing bot.cli made, before its first full collection
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.freeze()


async def _has_robots(settings: Settings) -> bool:
    if settings.database_url is None and not settings.db_path.exists():
        return False  # nothing made for a run that cannot start
    db = await Database.open(settings.database)
    try:
        await db.migrate()
        async with db.read() as tx:
            return bool(await tx.channels.all())
    finally:
        await db.close()


def _run_robots(settings: Settings) -> int:
    with _starting():
        from bot.app import serve_robots
        from bot.inbound.webhook import WebhookFailed

        load_rules(settings.rules)  # a bad rules file stops start-up here, in one line
        setup_logging()
    try:
        asyncio.run(serve_robots(settings))
    except WebhookFailed as exc:  # the 看板's address cannot be bound: one line
        print(f"dutybot: {exc}", file=sys.stderr)
        return 1
    return 0


async def _migrate(settings: Settings) -> list[int]:
    db = await Database.open(settings.database)
    try:
        return await db.migrate()
    finally:
        await db.close()


def cmd_migrate(settings: Settings) -> int:
    settings.check_db_writable()
    applied = asyncio.run(_migrate(settings))
    from messages.cli import migrated, up_to_date

    print(migrated(settings.database_name, applied) if applied
          else up_to_date(settings.database_name))
    return 0


async def _after_restore(settings: Settings, source: Path, version: int,
                         aside: Path | None) -> list[int]:
    """The restored copy brought up to this program's schema, and the restore recorded in
    its 履责纪实."""
    from datetime import datetime

    from bot.domain.model import CONSOLE

    db = await Database.open(settings.db_path)
    try:
        applied = await db.migrate()
        async with db.transaction() as tx:
            await tx.events.record(CONSOLE, datetime.now(settings.tz), "database_restored",
                                   "database", settings.db_path.name, file=str(source),
                                   schema_version=version,
                                   kept_as=str(aside) if aside is not None else None)
        return applied
    finally:
        await db.close()


def cmd_restore(settings: Settings, source: str, yes: bool) -> int:
    """A backup put back in the database's place, after checking it is a whole dutybot
    database of this program's schema or older; never while a bot runs on the database
    (its run lock is held until the restore is done, so none starts meanwhile). The
    database it replaces is kept as `<name>.before-restore-<time>`. Without a terminal to
    ask, `--yes` is required: nothing is replaced on a guess."""
    from datetime import datetime

    from messages.cli import (
        restore_declined,
        restore_locked,
        restore_needs_yes,
        restore_not_copied,
        restore_question,
        restore_refused,
        restored,
    )
    from storage.backup import RestoreError, check_backup, restore
    from storage.db import migration_scripts

    if settings.database_url is not None:
        return _restore_postgres(settings, Path(source), yes)
    path = Path(source)
    latest = migration_scripts()[-1][0]
    try:
        version = check_backup(path, latest, settings.db_path)
    except RestoreError as exc:
        print(f"dutybot: restore: {restore_refused(exc)}", file=sys.stderr)
        return 1
    settings.check_db_writable()
    try:
        with hold_run_lock(settings.db_path):
            if not yes:
                if not sys.stdin.isatty():
                    print(f"dutybot: restore: {restore_needs_yes(settings.db_path)}",
                          file=sys.stderr)
                    return 1
                answer = input(restore_question(path, settings.db_path, version))
                if answer.strip().lower() not in ("yes", "y", "是"):
                    print(f"dutybot: restore: {restore_declined()}", file=sys.stderr)
                    return 1
            stamp = datetime.now(settings.tz).strftime("%Y%m%d-%H%M%S")
            try:
                done = restore(path, settings.db_path, stamp)
            except BackupError as exc:
                print(f"dutybot: restore: {restore_not_copied(path, str(exc))}",
                      file=sys.stderr)
                return 1
            asyncio.run(_after_restore(settings, path, version, done.aside))
    except RunLocked as other:
        print(f"dutybot: restore: {restore_locked(other.db_path, other.pid)}", file=sys.stderr)
        return 1
    print(restored(path, settings.db_path, version, latest, done.aside))
    return 0


def _restore_postgres(settings: Settings, path: Path, yes: bool) -> int:
    """(PostgreSQL) The same promise with pg_restore: the archive checked first, no bot
    running on the database meanwhile (the run lock every `run` holds shared is taken
    exclusive), confirmation unless --yes, one transaction, then the schema brought up to
    date."""
    from messages.cli import (
        restore_declined,
        restore_locked,
        restore_not_copied,
        restore_pg_needs_yes,
        restore_pg_question,
        restore_refused,
        restored_pg,
    )
    from storage.backup import RestoreError, check_pg_backup, restore_postgres
    from storage.db import migration_scripts
    from storage.workers import BotRunning, exclusive_run_lock

    url = str(settings.database_url)
    shown = _shown(url)
    latest = migration_scripts()[-1][0]
    try:
        version = check_pg_backup(path, latest)
    except RestoreError as exc:
        print(f"dutybot: restore: {restore_refused(exc)}", file=sys.stderr)
        return 1

    async def restoring() -> int:
        async with exclusive_run_lock(url):
            if not yes:
                if not sys.stdin.isatty():
                    print(f"dutybot: restore: {restore_pg_needs_yes(shown)}", file=sys.stderr)
                    return 1
                answer = input(restore_pg_question(path, shown, version))
                if answer.strip().lower() not in ("yes", "y", "是"):
                    print(f"dutybot: restore: {restore_declined()}", file=sys.stderr)
                    return 1
            try:
                await asyncio.to_thread(restore_postgres, path, url)
            except (BackupError, RestoreError) as exc:
                print(f"dutybot: restore: {restore_not_copied(path, str(exc))}",
                      file=sys.stderr)
                return 1
            await _migrate(settings)
            return 0

    try:
        code = asyncio.run(restoring())
    except BotRunning:
        print(f"dutybot: restore: {restore_locked(shown, None)}", file=sys.stderr)  # type: ignore[arg-type]
        return 1
    if code == 0:
        print(restored_pg(path, shown, version, latest))
    return code


def cmd_backup(settings: Settings, target: str) -> int:
    """A consistent copy now, while the bot runs: SQLite's backup API, or on PostgreSQL
    `pg_dump --format=custom` (storage/backup.py)."""
    from messages.cli import backed_up, backup_refused
    from storage.backup import backup_engine

    try:
        with progress_bar(H.BAR_BACKUP) as progress:
            result = backup_engine(settings.db_path, settings.database_url).take(
                Path(target), progress)
    except BackupError as exc:
        print(f"dutybot: backup: {backup_refused(exc)}", file=sys.stderr)
        return 1
    print(backed_up(settings.database_name, result.path, result.size, result.schema_version,
                    settings.database_url is not None))
    return 0


class _BadAddress(Exception):
    pass


def _database_address(text: str) -> str | Path:
    """A copy-db address: a `postgresql://` URL as it is, `sqlite:///path` or a plain path
    as the file; anything else with a scheme is refused."""
    if text.startswith(("postgresql://", "postgres://")):
        return text
    if text.startswith("sqlite://"):
        rest = text.removeprefix("sqlite://")
        if not rest.startswith("/") or len(rest) < 2:
            raise _BadAddress(text)
        return Path(rest[1:])  # sqlite:///old.db → old.db, sqlite:////srv/a.db → /srv/a.db
    if "://" in text or not text.strip():
        raise _BadAddress(text)
    return Path(text)


def _shown(address: str | Path) -> str:
    """An address as a line names it: never with its password."""
    from urllib.parse import urlsplit, urlunsplit

    if isinstance(address, Path):
        return str(address)
    parts = urlsplit(address)
    if parts.password is None:
        return address
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def _copy_unless_running(source: str | Path, target: str | Path,
                               progress: Callable[[int, int], None] | None = None) -> list:
    """copy-db with no `dutybot run` on a PostgreSQL source or target meanwhile: every run
    holds the run lock shared there (storage/workers.py), copy-db takes it exclusive."""
    from storage.copy import copy_database
    from storage.workers import BotRunning, exclusive_run_lock

    async with contextlib.AsyncExitStack() as locks:
        for address in (source, target):
            if isinstance(address, str):
                try:
                    await locks.enter_async_context(exclusive_run_lock(address))
                except BotRunning:
                    raise RunLocked(_shown(address), None) from None  # type: ignore[arg-type]
        return await copy_database(source, target, progress)


def cmd_copy_db(source_text: str, target_text: str) -> int:
    """An office's data moved to another database (storage/copy.py), counts verified and
    printed table by table. A SQLite file a running bot holds is refused (its run lock is
    held for the copy, so none starts meanwhile)."""
    import sqlite3
    from contextlib import ExitStack

    import psycopg

    from messages.cli import (
        copy_db_bad_address,
        copy_db_counts,
        copy_db_done,
        copy_db_locked,
        copy_db_no_source,
        copy_db_refused,
        copy_db_same,
    )
    from storage.copy import CopyProblem, CopyRefused

    try:
        source = _database_address(source_text)
        target = _database_address(target_text)
    except _BadAddress as exc:
        print(f"dutybot: copy-db: {copy_db_bad_address(_shown(str(exc)))}", file=sys.stderr)
        return 2
    if isinstance(source, Path) and not source.is_file():
        print(f"dutybot: copy-db: {copy_db_no_source(source)}", file=sys.stderr)
        return 1
    same = (source == target if isinstance(source, str) or isinstance(target, str)
            else target.exists() and source.resolve() == target.resolve())
    if same:
        print(f"dutybot: copy-db: {copy_db_same(_shown(source))}", file=sys.stderr)
        return 1
    if isinstance(target, Path) and not target.absolute().parent.is_dir():
        from messages.cli import output_folder_missing

        print(f"dutybot: copy-db: {output_folder_missing(target.absolute().parent)}",
              file=sys.stderr)
        return 1
    try:
        with ExitStack() as locks:
            for address in (source, target):
                if isinstance(address, Path):
                    locks.enter_context(hold_run_lock(address))
            with progress_bar(H.BAR_COPY) as progress:
                counted = asyncio.run(_copy_unless_running(source, target, progress))
    except RunLocked as other:
        print(f"dutybot: copy-db: {copy_db_locked(other.db_path, other.pid)}", file=sys.stderr)
        return 1
    except CopyRefused as exc:
        if exc.problem is CopyProblem.MISMATCH:
            print("\n".join(copy_db_counts(exc.counted)), file=sys.stderr)
        print(f"dutybot: copy-db: {copy_db_refused(exc, _shown(target))}", file=sys.stderr)
        return 1
    except (sqlite3.Error, psycopg.Error) as exc:  # not a database, a value refused
        from messages.cli import copy_db_failed

        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        for address in (source, target):
            shown = _shown(address)
            if isinstance(address, str) and shown != address:
                text = text.replace(address, shown)
        print(f"dutybot: copy-db: {copy_db_failed(text, _shown(target))}", file=sys.stderr)
        return 1
    except DatabaseUnreachable as exc:
        from messages.cli import database_unreachable

        where = _shown(getattr(exc, "address", target))
        print(f"dutybot: copy-db: {database_unreachable(where, str(exc))}", file=sys.stderr)
        return 1
    print("\n".join(copy_db_counts(counted)))
    print(copy_db_done(_shown(source), _shown(target), len(counted),
                       sum(c.target for c in counted)))
    return 0


async def _invites(settings: Settings, who: str | None, all_unbound: bool) -> list[str]:
    """Fresh invites (older ones stop working), as 姓名, 单位, code, link lines (the link
    empty when the bot's name is not known)."""
    from bot.domain.model import CONSOLE
    from bot.services.registry import Services

    async with Services.opened(settings) as services:
        units = await services.people.units()
        names = ([f"{p.name}@{units[p.unit_id].name}" for p in await services.people.unbound()]
                 if all_unbound else [who or ""])
        made = []
        for name in names:
            person, invite = await services.people.reinvite(CONSOLE, name)
            made.append((person.name, units[person.unit_id].name, invite.code))
    username, reason = await _username(settings)
    if reason is not None and made:
        print(f"dutybot: invite: {H.no_invite_links(reason)}", file=sys.stderr)
    return [_invite_line(name, unit, code, username) for name, unit, code in made]


def _invite_line(name: str, unit: str, code: str, username: str | None) -> str:
    from messages.people import invite_link

    return "\t".join((name, unit, code, invite_link(username, code) if username else ""))


async def _username(settings: Settings) -> tuple[str | None, str | None]:
    """The bot's @username for invite links: DUTYBOT_BOT_USERNAME, else one getMe when a
    token is set; else None and why (one clause for the line that says so)."""
    if settings.bot_username:
        return settings.bot_username, None
    if not settings.has_token():
        return None, H.NO_BOT_NAME
    try:
        return await _bot_username(settings, settings.require_token()), None
    except ApiProblem as exc:
        return None, str(exc)


def cmd_invite(settings: Settings, name: str | None, unit: str | None,
               all_unbound: bool) -> int:
    """Fresh invite codes, printed; their links too once the bot's name is known. No token
    is needed (as for `dutybot import`); a malformed one still stops here, before anything
    is opened or sent."""
    from bot.services.errors import ServiceError
    from messages.people import no_unbound_people
    from messages.refusals import refusal

    if bool(name) == all_unbound:
        print(f"dutybot: invite: {H.INVITE_WHO}", file=sys.stderr)
        return 2
    if settings.has_token() and not settings.bot_username:
        settings.require_token()  # says in one line what is wrong with it
    settings.check_db_writable()
    who = f"{name}@{unit}" if name and unit else name
    try:
        lines = asyncio.run(_invites(settings, who, all_unbound))
    except ServiceError as exc:
        print(f"dutybot: invite: {html.unescape(refusal(exc))}", file=sys.stderr)
        return 1
    print("\n".join(lines) if lines else no_unbound_people())
    return 0


def cmd_template(target: str) -> int:
    from bot.workbook_io import write_template
    from messages.cli import already_exists, not_xlsx, output_folder_missing, output_not_writable
    from messages.imports import template_help, template_written

    path = Path(target)
    if path.suffix.lower() != ".xlsx":
        print(f"dutybot: template: {not_xlsx(target)}", file=sys.stderr)
        return 2
    if path.exists():
        print(f"dutybot: template: {already_exists(target)}", file=sys.stderr)
        return 1
    if not path.absolute().parent.is_dir():
        print(f"dutybot: template: {output_folder_missing(path.absolute().parent)}",
              file=sys.stderr)
        return 1
    try:
        write_template(path, template_help())
    except OSError as exc:
        print(f"dutybot: template: {output_not_writable(path, exc.errno)}", file=sys.stderr)
        return 1
    print(template_written(target))
    return 0


async def _import(settings: Settings, data: bytes, source: str, limits):
    from bot.domain.model import CONSOLE
    from bot.services.registry import Services

    with progress_bar(H.BAR_IMPORT) as progress:
        async with Services.opened(settings) as services:
            return await services.imports.import_file(CONSOLE, data, source, limits,
                                                      progress)


def _username_or_reason(settings: Settings) -> tuple[str | None, str | None]:
    return asyncio.run(_username(settings))


def cmd_import(settings: Settings, source: str, max_size_mb: float | None = None) -> int:
    """Everything in the workbook, or nothing: the summary and the new people's invites
    (tab-separated) on stdout; every bad row on stderr. The file is held to the bot's limits
    (`max_size_mb` raises the size limit on purpose); a refused file is one line."""
    from dataclasses import replace

    from bot.services.imports import LIMITS, ImportRejected, WorkbookRefused, read_upload
    from messages.imports import (
        import_refused_line,
        import_rejected_all,
        import_summary,
        invites_heading,
        no_invite_links,
        plain,
    )
    from messages.people import invite_link

    path = Path(source)
    limits = LIMITS
    if max_size_mb is not None:
        limits = replace(LIMITS, file_bytes=int(max_size_mb * 1024 * 1024))
    try:
        data = read_upload(path, limits)  # nothing is opened before the file is checked
        settings.check_db_writable()
        result = asyncio.run(_import(settings, data, path.name, limits))
    except WorkbookRefused as exc:
        print(import_refused_line(exc, path.name), file=sys.stderr)
        return 1
    except ImportRejected as exc:
        print("\n".join(import_rejected_all(exc.errors)), file=sys.stderr)
        return 1
    print(plain(import_summary(result)))
    if result.invites:
        username, reason = _username_or_reason(settings)
        print(f"\n{invites_heading()}")
        for invite in result.invites:
            link = invite_link(username, invite.code) if username else ""
            print("\t".join((invite.name, invite.unit, invite.code, link)))
        if reason:
            print(no_invite_links(reason), file=sys.stderr)
    return 0


class _NotWritten(Exception):
    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror)
        self.error = error


async def _export(settings: Settings, path: Path):
    """The 台账 built, written to `path` whole, and only then recorded as exported."""
    from bot.domain.model import CONSOLE
    from bot.services.registry import Services
    from messages.export import WORDS

    with progress_bar(H.BAR_EXPORT) as progress:
        step = progress or (lambda done, total: None)
        async with Services.opened(settings) as services:
            step(0, 3)
            result = await services.export.export_for_console(WORDS)
            step(1, 3)
            try:
                _write_whole(path, result.data)
            except OSError as exc:
                raise _NotWritten(exc) from exc
            step(2, 3)
            await services.export.recorded(CONSOLE, result, str(path.resolve()), via="cli")
            step(3, 3)
            return result


def _write_whole(path: Path, data: bytes) -> None:
    """`data` under a hidden name beside `path`, renamed to it once whole: a failed write
    leaves nothing behind."""
    import os
    import tempfile

    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                     dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cmd_export(settings: Settings, target: str, force: bool) -> int:
    """The whole 台账 as the bot sends it with /导出; one line with the counts. Recorded
    in the 履责纪实 (with the file's path) only once the file was written."""
    from bot.services.errors import ExportFailed
    from messages.cli import already_exists, no_database, not_xlsx, output_not_writable
    from messages.export import export_written
    from messages.refusals import refusal

    path = Path(target)
    if path.suffix.lower() != ".xlsx":
        print(f"dutybot: export: {not_xlsx(target)}", file=sys.stderr)
        return 2
    if path.exists() and not force:
        print(f"dutybot: export: {already_exists(target, force=True)}", file=sys.stderr)
        return 1
    if settings.database_url is not None:
        asyncio.run(_reachable(settings))  # an unreachable server says so first
    elif not settings.db_path.is_file():
        print(f"dutybot: export: {no_database(settings.db_path)}", file=sys.stderr)
        return 1
    else:
        settings.check_db_writable()  # the export is recorded in the 履责纪实
    try:
        result = asyncio.run(_export(settings, path))
    except _NotWritten as exc:
        print(f"dutybot: export: {output_not_writable(path, exc.error.errno)}",
              file=sys.stderr)
        return 1
    except ExportFailed as exc:
        print(f"dutybot: export: {html.unescape(refusal(exc))}", file=sys.stderr)
        return 1
    print(export_written(target, result.counts))
    return 0


async def _channel(settings: Settings, args: argparse.Namespace):
    """One `dutybot channel …` on the services, by the operator at the console."""
    from bot.domain.model import CONSOLE
    from bot.services.registry import Services
    from messages.channels import test_line

    async with Services.opened(settings) as services:
        channels = services.channels
        if args.action == "add":
            return await channels.add(CONSOLE, args.kind, args.name, args.webhook, args.secret,
                                      args.keyword, args.whose, args.primary,
                                      args.confidential)
        if args.action == "list":
            return await channels.list(CONSOLE)
        if args.action == "remove":
            return await channels.remove(CONSOLE, args.name)
        return await channels.test(CONSOLE, args.name, test_line(args.name.strip()))


def cmd_channel(settings: Settings, args: argparse.Namespace) -> int:
    """The office's group robots: added, listed, tested and removed here only, so that a
    webhook key never passes through a chat. Keys and secrets are never printed in full.
    `test` exits 0 only when the messenger accepted the test line."""
    from bot.channels.robots import Delivered
    from bot.services.errors import ChannelRefused, ServiceError
    from messages.channels import (
        channel_added,
        channel_refused,
        channel_removed,
        channel_rows,
        ip_allowlist_needed,
        no_channels,
        test_result,
    )
    from messages.refusals import refusal

    settings.check_db_writable()
    try:
        result = asyncio.run(_channel(settings, args))
    except ChannelRefused as exc:
        print(f"dutybot: channel {args.action}: {channel_refused(exc)}", file=sys.stderr)
        return 1
    except ServiceError as exc:
        print(f"dutybot: channel {args.action}: {html.unescape(refusal(exc))}",
              file=sys.stderr)
        return 1
    if args.action == "add":
        print(channel_added(result))
        if result.needs_ip_allowlist:
            print(ip_allowlist_needed(result.entry.channel.kind), file=sys.stderr)
        return 0
    if args.action == "list":
        print("\n".join(channel_rows(result)) if result else no_channels())
        return 0
    if args.action == "remove":
        print(channel_removed(result))
        return 0
    if isinstance(result.outcome, Delivered):
        print(test_result(result))
        return 0
    print(f"dutybot: channel test: {test_result(result)}", file=sys.stderr)
    return 1


def cmd_demo(settings: Settings, output: str | None) -> int:
    from bot.demo import run_demo

    return asyncio.run(run_demo(output))


# --- the command line (click) --------------------------------------------------------------
#
# Every command is a small click function that reads the settings (`settings()`) and calls
# the plain `cmd_*` function doing the work, which returns the exit code. Adding one:
#
#     @command("sandbox", H.SANDBOX)                 # its help in messages/cli_help.py
#     @click.option("--port", type=int, help=H.SANDBOX_PORT)
#     def sandbox_command(port: int | None) -> int:
#         from bot.cli_sandbox import cmd_sandbox    # lazy: `dutybot --help` stays light
#
#         return cmd_sandbox(settings(), port)
#
# Exit codes (README): 0 done; 1 a failure its line explains; 2 a wrong command line or a
# bad setting; 70 an internal error (details with --debug); 130 interrupted (Ctrl+C).

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130


def _width(text: str) -> int:
    """Columns on a terminal: a Chinese character takes two (click counts one)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
          preserve_paragraphs: bool = False) -> str:
    """click's wrap_text by columns on a terminal: Chinese may break between any two
    characters, a run of ASCII (an option, a setting's name, a URL) stays whole."""
    import re

    paragraphs = re.split(r"\n\s*\n", text.strip()) if preserve_paragraphs else [text]
    wrapped = []
    for paragraph in paragraphs:
        lines, line, indent = [], "", initial_indent
        for token in re.findall(r"[!-~]+|\s+|.", " ".join(paragraph.split())):
            if token.isspace():
                if line:
                    line += " "
                continue
            if line and _width(indent + line + token) > width:
                lines.append(indent + line.rstrip())
                line, indent = "", subsequent_indent
            line += token
        lines.append(indent + line.rstrip())
        wrapped.append("\n".join(lines))
        initial_indent = subsequent_indent
    return "\n\n".join(wrapped)


class _Formatter(click.HelpFormatter):
    """click's help layout with Chinese headings (用法：, 选项：)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix if prefix is not None else "用法：")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


class _Context(click.Context):
    formatter_class = _Formatter


class _Command(click.Command):
    context_class = _Context


class _Group(click.Group):
    context_class = _Context
    command_class = _Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order they are defined: run first


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("dutybot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        number = "unknown"
    click.echo(H.VERSION_LINE.format(version=number))
    ctx.exit(EXIT_OK)


@click.group("dutybot", cls=_Group, help=H.PROGRAM, options_metavar="[选项]",
             subcommand_metavar="命令 [参数]...",
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help=H.VERSION)
@click.option("--debug", is_flag=True, help=H.DEBUG)
@click.pass_obj
def dutybot(state: dict, debug: bool) -> None:
    state["debug"] = debug


def command(name: str, text: str, group: click.Group = dutybot) -> Callable:
    """`@command("name", H.NAME)`: a console command with its Chinese help (the first line
    of `text` is what `dutybot --help` lists)."""
    return group.command(name, help=text, short_help=text.split("\n")[0],
                         options_metavar="[选项]")


def subgroup(name: str, text: str) -> Callable:
    return dutybot.group(name, cls=_Group, help=text, short_help=text.split("\n")[0],
                         options_metavar="[选项]", subcommand_metavar="操作 [参数]...")


def settings(**overrides: object) -> Settings:
    """The settings, read once per command (the command line's `overrides` win over the
    environment), and the supervising body's words for every text the console prints;
    a bad setting or rules file stops here, in one line (ConfigError)."""
    state = click.get_current_context().obj
    loaded = load_settings(**overrides)
    state["settings"] = loaded
    configure_body(load_rules(loaded.rules).body)
    return loaded


class _Megabytes(click.ParamType):
    name = "MB"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            number = float(str(value))
        except ValueError:
            number = 0.0
        if not 0 < number <= 1024:
            self.fail(H.size_refused(str(value)), param, ctx)
        return number


class _Year(click.ParamType):
    name = "YYYY"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not (text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100):
            self.fail(H.year_refused(str(value)), param, ctx)
        return int(text)


@command("run", H.RUN)
@click.option("--webhook-url", metavar="URL", help=H.RUN_WEBHOOK_URL)
@click.option("--listen", metavar="地址:端口", help=H.RUN_LISTEN)
@click.option("--board", metavar="地址:端口", help=H.RUN_BOARD)
def run_command(webhook_url: str | None, listen: str | None, board: str | None) -> int:
    overrides = {k: v for k, v in (("webhook_url", webhook_url), ("listen", listen),
                                   ("board_listen", board))
                 if v is not None}  # the command line wins over the environment
    return cmd_run(settings(**overrides))


@command("migrate", H.MIGRATE)
def migrate_command() -> int:
    return cmd_migrate(settings())


@command("demo", H.DEMO)
@click.option("--output", metavar="文件", help=H.DEMO_OUTPUT)
def demo_command(output: str | None) -> int:
    return cmd_demo(settings(), output)


@command("handover", H.HANDOVER)
@click.argument("leaver", metavar="旧姓名")
@click.argument("successor", metavar="新姓名")
@click.option("--dry-run", is_flag=True, help=H.HANDOVER_DRY_RUN)
@click.option("--yes", is_flag=True, help=H.HANDOVER_YES)
def handover_command(leaver: str, successor: str, dry_run: bool, yes: bool) -> int:
    from bot.cli_handover import cmd_handover

    return cmd_handover(settings(), leaver, successor, dry_run, yes)


@command("board-link", H.BOARD_LINK)
@click.argument("name", metavar="姓名")
def board_link_command(name: str) -> int:
    from bot.cli_board import cmd_board_link

    return cmd_board_link(settings(), name)


@command("sandbox", H.SANDBOX)
@click.option("--port", default="0", metavar="端口", help=H.SANDBOX_PORT)
@click.option("--no-open", is_flag=True, help=H.SANDBOX_NO_OPEN)
def sandbox_command(port: str, no_open: bool) -> int:
    from bot.cli_sandbox import cmd_sandbox, port_number  # lazy: the run path never loads it

    return cmd_sandbox(settings(), port_number(port), not no_open)


@command("invite", H.INVITE)
@click.argument("name", required=False, metavar="[姓名]")
@click.option("--unit", metavar="单位", help=H.INVITE_UNIT)
@click.option("--all-unbound", is_flag=True, help=H.INVITE_ALL)
def invite_command(name: str | None, unit: str | None, all_unbound: bool) -> int:
    return cmd_invite(settings(), name, unit, all_unbound)


@command("backup", H.BACKUP)
@click.argument("file", metavar="文件")
def backup_command(file: str) -> int:
    return cmd_backup(settings(), file)


@command("restore", H.RESTORE)
@click.argument("file", metavar="备份文件")
@click.option("--yes", is_flag=True, help=H.RESTORE_YES)
def restore_command(file: str, yes: bool) -> int:
    return cmd_restore(settings(), file, yes)


@command("copy-db", H.COPY_DB)
@click.argument("source", metavar="源数据库")
@click.argument("target", metavar="目标数据库")
def copy_db_command(source: str, target: str) -> int:
    settings()  # a bad setting or rules file stops here too, as before
    return cmd_copy_db(source, target)


@command("template", H.TEMPLATE)
@click.argument("file", metavar="文件.xlsx")
def template_command(file: str) -> int:
    settings()
    return cmd_template(file)


@command("import", H.IMPORT)
@click.argument("file", metavar="文件.xlsx")
@click.option("--max-size", type=_Megabytes(), metavar="MB", help=H.IMPORT_MAX_SIZE)
def import_command(file: str, max_size: float | None) -> int:
    return cmd_import(settings(), file, max_size)


@command("export", H.EXPORT)
@click.argument("file", metavar="文件.xlsx")
@click.option("--force", is_flag=True, help=H.EXPORT_FORCE)
def export_command(file: str, force: bool) -> int:
    return cmd_export(settings(), file, force)


@subgroup("channel", H.CHANNEL)
def channel_group() -> None:
    pass


@command("add", H.CHANNEL_ADD, channel_group)
@click.argument("kind", metavar="类型")
@click.argument("name", metavar="群名称")
@click.option("--webhook", required=True, metavar="URL", help=H.CHANNEL_WEBHOOK)
@click.option("--secret", metavar="密钥", help=H.CHANNEL_SECRET)
@click.option("--keyword", metavar="关键词", help=H.CHANNEL_KEYWORD)
@click.option("--for", "whose", metavar="纪委|单位名称", help=H.CHANNEL_FOR)
@click.option("--confidential/--no-confidential", default=None, help=H.CHANNEL_CONFIDENTIAL)
@click.option("--primary", is_flag=True, help=H.CHANNEL_PRIMARY)
def channel_add_command(**options: object) -> int:
    return cmd_channel(settings(), argparse.Namespace(action="add", **options))


@command("list", H.CHANNEL_LIST, channel_group)
def channel_list_command() -> int:
    return cmd_channel(settings(), argparse.Namespace(action="list"))


@command("test", H.CHANNEL_TEST, channel_group)
@click.argument("name", metavar="名称")
def channel_test_command(name: str) -> int:
    return cmd_channel(settings(), argparse.Namespace(action="test", name=name))


@command("remove", H.CHANNEL_REMOVE, channel_group)
@click.argument("name", metavar="名称")
def channel_remove_command(name: str) -> int:
    return cmd_channel(settings(), argparse.Namespace(action="remove", name=name))


@subgroup("case", H.CASE)
def case_group() -> None:
    pass


@command("add", H.CASE_ADD, case_group)
@click.argument("person", metavar="姓名")
@click.option("--by", required=True, metavar="姓名", help=H.CASE_BY)
@click.option("--situation", required=True, metavar="编号", help=H.CASE_SITUATION)
@click.option("--finding", required=True, metavar="文字", help=H.CASE_FINDING)
@click.option("--handling", metavar="处理", help=H.CASE_HANDLING)
@click.option("--decided", metavar="日期", help=H.CASE_DECIDED)
@click.option("--unit", metavar="单位", help=H.CASE_UNIT)
@click.option("--misconduct", is_flag=True, help=H.CASE_MISCONDUCT)
@click.option("--typical", is_flag=True, help=H.CASE_TYPICAL)
def case_add_command(**options: object) -> int:
    from bot.cli_cases import cmd_case

    return cmd_case(settings(), argparse.Namespace(action="add", **options))


@command("list", H.CASE_LIST, case_group)
def case_list_command() -> int:
    from bot.cli_cases import cmd_case

    return cmd_case(settings(), argparse.Namespace(action="list"))


@subgroup("letters", H.LETTERS)
def letters_group() -> None:
    pass


def _letters_command(action: str, text: str) -> None:
    @command(action, text, letters_group)
    @click.option("--year", type=_Year(), required=True, metavar="YYYY", help=H.LETTERS_YEAR)
    def letters_command(year: int) -> int:
        from bot.cli_letters import cmd_letters

        return cmd_letters(settings(), argparse.Namespace(action=action, year=year))


for _action, _text in (("issue", H.LETTERS_ISSUE), ("reconcile", H.LETTERS_RECONCILE),
                       ("list", H.LETTERS_LIST)):
    _letters_command(_action, _text)


# --- click speaking Chinese, and every failure one line ----------------------------------------

def _speak_chinese() -> None:
    """click's own words (its help headings and usage errors) through the table in
    messages/cli_help.py: click asks gettext for each, at the moment it needs it."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    def gettext(message: str) -> str:
        return H.CLICK_WORDS.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    click.formatting.term_len = _width  # type: ignore[attr-defined]  # the option tables line up
    click.formatting.wrap_text = _wrap  # type: ignore[attr-defined]
    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.termui, click.types):
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def _where(ctx: click.Context | None, args: list[str]) -> tuple[str, str]:
    """`dutybot: channel add` and `dutybot channel add --help` for a usage error's line
    (from the arguments when click's error has no context)."""
    if ctx is not None:
        path = ctx.command_path.split()
    else:
        path, group = ["dutybot"], dutybot
        for arg in args:
            if arg.startswith("-") or not isinstance(group, click.Group):
                continue
            if arg not in group.commands:
                break
            path.append(arg)
            group = group.commands[arg]
    where = "dutybot: " + " ".join(path[1:]) if len(path) > 1 else "dutybot"
    return where, " ".join(path) + " --help"


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """`dutybot …`: the exit code, never a traceback unless --debug asks for one."""
    import traceback

    args = sys.argv[1:] if argv is None else list(argv)
    state: dict = {"debug": "--debug" in args}
    if state["debug"]:  # accepted anywhere on the line, as people type it after the command
        args = ["--debug", *(a for a in args if a != "--debug")]
    _speak_chinese()
    try:
        return dutybot.main(args=args, prog_name="dutybot", standalone_mode=False,
                            obj=state) or EXIT_OK
    except click.UsageError as wrong:
        if isinstance(wrong, getattr(click.exceptions, "NoArgsIsHelpError", ())):
            print(wrong.format_message())  # `dutybot` alone: its help
            return EXIT_OK
        where, help_command = _where(wrong.ctx, args)
        _say(H.usage_error(where, wrong.format_message(), help_command))
        return EXIT_USAGE
    except click.ClickException as failed:
        _say(f"dutybot: {' '.join(failed.format_message().split())}")
        return failed.exit_code or EXIT_FAILED
    except click.Abort:
        _say(H.interrupted())
        return EXIT_INTERRUPTED
    except ConfigError as exc:
        if state["debug"]:
            traceback.print_exc()
        _say(f"dutybot: {exc}")
        return EXIT_USAGE
    except DatabaseUnreachable as exc:
        from messages.cli import database_unreachable

        if state["debug"]:
            traceback.print_exc()
        where = state["settings"].database_name if "settings" in state else "?"
        _say(f"dutybot: {database_unreachable(where, str(exc))}")
        return EXIT_FAILED
    except Exception as exc:
        if state["debug"]:
            traceback.print_exc()
        _say(f"dutybot: {H.internal_error(type(exc).__name__)}")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
