"""`dutybot run | demo | migrate | backup | restore | copy-db | invite | template | import |
export | channel`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import logging
import sys
from pathlib import Path

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.cli_cases import add_case_parser, cmd_case
from bot.cli_letters import add_letters_parser, cmd_letters
from bot.config import ConfigError, Settings, load_settings
from bot.domain.vocabulary import configure_body
from bot.rules import load_rules
from bot.runlock import RunLocked, hold_run_lock
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


async def _check_api(settings: Settings, token: str) -> str | None:
    """One getMe before polling starts, so a bad token or an unreachable server is
    reported in one line (PTB's own start-up would log a traceback first)."""
    try:
        await _bot_username(settings, token)
        return None
    except ApiProblem as exc:
        return str(exc)


class ApiProblem(Exception):
    """The Bot API refused the token or could not be reached; one line."""


async def _bot_username(settings: Settings, token: str) -> str:
    bot = Bot(token, base_url=settings.api_url, base_file_url=settings.file_url)
    try:
        async with bot:
            return bot.username
    except InvalidToken:
        raise ApiProblem(
            "TELEGRAM_BOT_TOKEN was refused by the Bot API at "
            f"{settings.telegram_api_base_url} (check the token and TELEGRAM_API_BASE_URL)"
        ) from None
    except NetworkError as exc:
        raise ApiProblem(
            f"cannot reach the Bot API at {settings.telegram_api_base_url}: {exc.message}"
        ) from None


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
    from bot.app import build_application, serve
    from bot.inbound.webhook import WebhookFailed

    load_rules(settings.rules)  # a bad rules file stops start-up here, in one line
    problem = asyncio.run(_check_api(settings, token))
    if problem is not None:
        print(f"dutybot: {problem}", file=sys.stderr)
        return 1
    setup_logging(token)
    try:
        asyncio.run(serve(build_application(settings, token)))
    except WebhookFailed as exc:  # webhook mode could not start: one line, no traceback
        print(f"dutybot: {exc}", file=sys.stderr)
        return 1
    return 0


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
    from bot.app import serve_robots

    load_rules(settings.rules)  # a bad rules file stops start-up here, in one line
    setup_logging()
    asyncio.run(serve_robots(settings))
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
    print(f"{settings.database_name}: applied migrations {applied}" if applied
          else f"{settings.database_name}: schema is up to date")
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

    if settings.database_url is not None:  # pg_restore's, in a later step (issue 23)
        from messages.cli import restore_not_on_postgres

        print(f"dutybot: restore: {restore_not_on_postgres()}", file=sys.stderr)
        return 1
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


def cmd_backup(settings: Settings, target: str) -> int:
    """A consistent copy now, while the bot runs: SQLite's backup API, or on PostgreSQL
    `pg_dump --format=custom` (storage/backup.py)."""
    from messages.cli import backup_refused
    from storage.backup import backup_engine

    try:
        result = backup_engine(settings.db_path, settings.database_url).take(Path(target))
    except BackupError as exc:
        print(f"dutybot: backup: {backup_refused(exc)}", file=sys.stderr)
        return 1
    checked = "pg_restore --list ok" if settings.database_url else "integrity ok"
    print(f"{settings.database_name} → {result.path}: {result.size} bytes, "
          f"schema version {result.schema_version}, {checked}")
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


async def _copy_unless_running(source: str | Path, target: str | Path) -> list:
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
        return await copy_database(source, target)


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
            counted = asyncio.run(_copy_unless_running(source, target))
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


async def _invites(settings: Settings, token: str, who: str | None,
                   all_unbound: bool) -> list[str]:
    """Fresh invites (older ones stop working), as 姓名, 单位, code, link lines."""
    from bot.domain.model import CONSOLE
    from bot.services.registry import Services
    from messages.people import invite_link

    username = await _bot_username(settings, token)
    async with Services.opened(settings) as services:
        units = await services.people.units()
        names = ([f"{p.name}@{units[p.unit_id].name}" for p in await services.people.unbound()]
                 if all_unbound else [who or ""])
        lines = []
        for name in names:
            person, invite = await services.people.reinvite(CONSOLE, name)
            lines.append("\t".join((person.name, units[person.unit_id].name, invite.code,
                                    invite_link(username, invite.code))))
        return lines


def cmd_invite(settings: Settings, name: str | None, unit: str | None,
               all_unbound: bool) -> int:
    from bot.services.errors import ServiceError
    from messages.people import no_unbound_people
    from messages.refusals import refusal

    if bool(name) == all_unbound:
        print("dutybot: invite: give a name (姓名 [--unit 单位]) or --all-unbound",
              file=sys.stderr)
        return 2
    token = settings.require_token()
    who = f"{name}@{unit}" if name and unit else name
    try:
        lines = asyncio.run(_invites(settings, token, who, all_unbound))
    except ApiProblem as exc:
        print(f"dutybot: {exc}", file=sys.stderr)
        return 1
    except ServiceError as exc:
        print(f"dutybot: invite: {html.unescape(refusal(exc))}", file=sys.stderr)
        return 1
    print("\n".join(lines) if lines else no_unbound_people())
    return 0


def cmd_template(target: str) -> int:
    from bot.workbook_io import write_template
    from messages.imports import template_help, template_written

    path = Path(target)
    if path.suffix.lower() != ".xlsx":
        print(f"dutybot: template: {target}: the file name must end in .xlsx", file=sys.stderr)
        return 2
    if path.exists():
        print(f"dutybot: template: {target} already exists (not overwritten)", file=sys.stderr)
        return 1
    try:
        write_template(path, template_help())
    except OSError as exc:
        print(f"dutybot: template: {target}: {exc.strerror}", file=sys.stderr)
        return 1
    print(template_written(target))
    return 0


async def _import(settings: Settings, data: bytes, source: str, limits):
    from bot.domain.model import CONSOLE
    from bot.services.registry import Services

    async with Services.opened(settings) as services:
        return await services.imports.import_file(CONSOLE, data, source, limits)


def _username_or_reason(settings: Settings) -> tuple[str | None, str | None]:
    try:
        token = settings.require_token()
    except ConfigError as exc:
        return None, str(exc)
    try:
        return asyncio.run(_bot_username(settings, token)), None
    except ApiProblem as exc:
        return None, str(exc)


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

    async with Services.opened(settings) as services:
        result = await services.export.export_for_console(WORDS)
        try:
            _write_whole(path, result.data)
        except OSError as exc:
            raise _NotWritten(exc) from exc
        await services.export.recorded(CONSOLE, result, str(path.resolve()), via="cli")
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
    from messages.export import export_written
    from messages.refusals import refusal

    path = Path(target)
    if path.suffix.lower() != ".xlsx":
        print(f"dutybot: export: {target}: the file name must end in .xlsx", file=sys.stderr)
        return 2
    if path.exists() and not force:
        print(f"dutybot: export: {target} already exists (not overwritten; --force to replace)",
              file=sys.stderr)
        return 1
    if settings.database_url is not None:
        asyncio.run(_reachable(settings))  # an unreachable server says so first
    elif not settings.db_path.is_file():
        print(f"dutybot: export: no database at {settings.db_path} (check DUTYBOT_DB_PATH)",
              file=sys.stderr)
        return 1
    else:
        settings.check_db_writable()  # the export is recorded in the 履责纪实
    try:
        result = asyncio.run(_export(settings, path))
    except _NotWritten as exc:
        print(f"dutybot: export: {target}: {exc.error.strerror}", file=sys.stderr)
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


def _add_channel_parser(sub: argparse._SubParsersAction) -> None:
    channel = sub.add_parser("channel", help="the office's group robots (企业微信, 钉钉, 飞书): "
                                             "add, list, test, remove")
    actions = channel.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a group robot (its key is typed here only, "
                                         "never in a chat)")
    add.add_argument("kind", help="企业微信 (wecom), 钉钉 (dingtalk) or 飞书 (feishu)")
    add.add_argument("name", help="the group's name, e.g. 纪委工作群")
    add.add_argument("--webhook", required=True, metavar="URL",
                     help="the robot's webhook, as copied from the group's robot settings")
    add.add_argument("--secret", help="加签 / 签名校验 secret (钉钉, 飞书)")
    add.add_argument("--keyword", help="自定义关键词 (钉钉, 飞书): every message carries it")
    add.add_argument("--for", dest="whose", metavar="纪委|单位名称",
                     help="whose group: the supervising body (纪委, the default) or a unit")
    add.add_argument("--confidential", action=argparse.BooleanOptionalAction, default=None,
                     help="保密 mode for this group: item codes, statuses, due dates and "
                          "who must act, nothing else (default: DUTYBOT_CONFIDENTIAL)")
    add.add_argument("--primary", action="store_true",
                     help="a unit's group where that unit's people get their reminders")
    actions.add_parser("list", help="every robot, keys masked, with its health")
    test = actions.add_parser("test", help="send one test line; exit 0 only when the "
                                           "messenger accepted it")
    test.add_argument("name", help="the channel's name")
    remove = actions.add_parser("remove", help="forget a robot and its key")
    remove.add_argument("name", help="the channel's name")


def cmd_demo(settings: Settings, output: str | None) -> int:
    from bot.demo import run_demo

    return asyncio.run(run_demo(output))


def _megabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 1024:
        raise argparse.ArgumentTypeError(f"not a size in MB (0 < MB <= 1024): {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dutybot", description="四责协同助手")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (long polling, or a webhook with "
                                     "--webhook-url)")
    run.add_argument("--webhook-url", metavar="URL",
                     help="webhook mode: the public https address Telegram posts to "
                          "(DUTYBOT_WEBHOOK_URL)")
    run.add_argument("--listen", metavar="HOST:PORT",
                     help="where the webhook server listens, behind the reverse proxy "
                          "(DUTYBOT_LISTEN, default 127.0.0.1:8443)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    demo = sub.add_parser("demo", help="play a scripted demo, no token or network needed")
    demo.add_argument("--output", help="also write the transcript to this file")
    invite = sub.add_parser("invite", help="print fresh invite codes and links "
                                            "(older ones stop working)")
    invite.add_argument("name", nargs="?", help="the person's 姓名")
    invite.add_argument("--unit", help="their 所在单位, where the name is not unique")
    invite.add_argument("--all-unbound", action="store_true",
                        help="everyone who has not bound yet, tab-separated")
    copy = sub.add_parser("backup", help="copy the live database consistently, even while "
                                         "the bot runs")
    copy.add_argument("file", help="where to write the copy (must not exist yet)")
    back = sub.add_parser("restore", help="put a backup back in the database's place "
                                          "(checked first; the bot must be stopped)")
    back.add_argument("file", help="the backup file (dutybot backup or the daily backup)")
    back.add_argument("--yes", action="store_true",
                      help="do not ask for confirmation (required when not run in a terminal)")
    move = sub.add_parser("copy-db", help="copy all data into a new, empty database "
                                          "(e.g. SQLite to PostgreSQL), counts verified")
    move.add_argument("source", help="the database now: a SQLite file (or sqlite:///path) "
                                     "or postgresql://…")
    move.add_argument("target", help="the new, empty database: postgresql://… or a SQLite "
                                     "file")
    template = sub.add_parser("template", help="write a blank import workbook (.xlsx) with "
                                               "its 说明 sheet")
    template.add_argument("file", help="where to write it (must not exist yet)")
    load = sub.add_parser("import", help="import units, people and lists from a workbook: "
                                         "all of it, or nothing")
    load.add_argument("file", help="the filled-in template (.xlsx)")
    load.add_argument("--max-size", type=_megabytes, metavar="MB",
                      help="allow a file bigger than the bot's 5 MB (the other limits stay)")
    dump = sub.add_parser("export", help="write the Excel 台账 (lists, talks, rectifications, "
                                         "the event log, 完成与响应)")
    dump.add_argument("file", help="where to write it (.xlsx)")
    dump.add_argument("--force", action="store_true", help="replace the file if it exists")
    _add_channel_parser(sub)
    add_case_parser(sub)
    add_letters_parser(sub)
    args = parser.parse_args(argv)
    try:
        overrides = {}
        if args.command == "run":  # the command line wins over the environment
            overrides = {k: v for k, v in (("webhook_url", args.webhook_url),
                                           ("listen", args.listen)) if v is not None}
        settings = load_settings(**overrides)
        # the supervising body's words, in every text the console prints or writes
        # (bot/domain/bodies.py); a bad rules file stops here, in one line
        configure_body(load_rules(settings.rules).body)
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "migrate":
            return cmd_migrate(settings)
        if args.command == "backup":
            return cmd_backup(settings, args.file)
        if args.command == "restore":
            return cmd_restore(settings, args.file, args.yes)
        if args.command == "copy-db":
            return cmd_copy_db(args.source, args.target)
        if args.command == "invite":
            return cmd_invite(settings, args.name, args.unit, args.all_unbound)
        if args.command == "template":
            return cmd_template(args.file)
        if args.command == "import":
            return cmd_import(settings, args.file, args.max_size)
        if args.command == "export":
            return cmd_export(settings, args.file, args.force)
        if args.command == "channel":
            return cmd_channel(settings, args)
        if args.command == "case":
            return cmd_case(settings, args)
        if args.command == "letters":
            return cmd_letters(settings, args)
        return cmd_demo(settings, args.output)
    except ConfigError as exc:
        print(f"dutybot: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnreachable as exc:
        from messages.cli import database_unreachable

        print(f"dutybot: {database_unreachable(settings.database_name, str(exc))}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
