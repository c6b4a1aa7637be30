"""`dutybot run | demo | migrate | backup`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError

from bot.config import ConfigError, Settings, load_settings
from bot.rules import load_rules
from storage.backup import BackupError, backup
from storage.db import Database

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
    bot = Bot(token, base_url=settings.api_url, base_file_url=settings.file_url)
    try:
        async with bot:
            return None
    except InvalidToken:
        return ("TELEGRAM_BOT_TOKEN was refused by the Bot API at "
                f"{settings.telegram_api_base_url} (check the token and TELEGRAM_API_BASE_URL)")
    except NetworkError as exc:
        return f"cannot reach the Bot API at {settings.telegram_api_base_url}: {exc.message}"


def cmd_run(settings: Settings) -> int:
    from bot.app import build_application

    token = settings.require_token()
    settings.check_db_writable()
    load_rules(settings.rules)  # a bad rules file stops start-up here, in one line
    problem = asyncio.run(_check_api(settings, token))
    if problem is not None:
        print(f"dutybot: {problem}", file=sys.stderr)
        return 1
    setup_logging(token)
    build_application(settings, token).run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


async def _migrate(settings: Settings) -> list[int]:
    db = await Database.open(settings.db_path)
    try:
        return await db.migrate()
    finally:
        await db.close()


def cmd_migrate(settings: Settings) -> int:
    settings.check_db_writable()
    applied = asyncio.run(_migrate(settings))
    print(f"{settings.db_path}: applied migrations {applied}" if applied
          else f"{settings.db_path}: schema is up to date")
    return 0


def cmd_backup(settings: Settings, target: str) -> int:
    try:
        result = backup(settings.db_path, Path(target))
    except BackupError as exc:
        print(f"dutybot: backup: {exc}", file=sys.stderr)
        return 1
    print(f"{settings.db_path} → {result.path}: {result.size} bytes, "
          f"schema version {result.schema_version}, integrity ok")
    return 0


def cmd_demo(settings: Settings, output: str | None) -> int:
    from bot.demo import run_demo

    return asyncio.run(run_demo(output))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dutybot", description="四责协同助手")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (long polling)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    demo = sub.add_parser("demo", help="play a scripted demo, no token or network needed")
    demo.add_argument("--output", help="also write the transcript to this file")
    copy = sub.add_parser("backup", help="copy the live database consistently, even while "
                                         "the bot runs")
    copy.add_argument("file", help="where to write the copy (must not exist yet)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "migrate":
            return cmd_migrate(settings)
        if args.command == "backup":
            return cmd_backup(settings, args.file)
        return cmd_demo(settings, args.output)
    except ConfigError as exc:
        print(f"dutybot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
