"""`dutybot run` as its own process on PostgreSQL (issue 23 §2), against the fake Bot API
over HTTP: updates stored in the inbox table and handled, a person registered and bound, a
restart that keeps everything, a clean stop on SIGTERM, and the SQLite file never made."""

from __future__ import annotations

from pathlib import Path

import psycopg

from bot.fake_telegram import FakeTelegram, invite_code
from bot.fake_telegram.server import FakeTelegramServer
from tests.botprocess import ADMIN_ID, NO_ITEMS, BotProcess, assert_clean_exit


def pg_bot(*args, url: str) -> BotProcess:
    """BotProcess with `DUTYBOT_DATABASE_URL` set (its DUTYBOT_DB_PATH is never made)."""
    bot = BotProcess(*args)
    bot.extra_env["DUTYBOT_DATABASE_URL"] = url
    return bot


def rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_dutybot_run_on_postgresql_registers_binds_and_survives_a_restart(
        tmp_path: Path, pg_url: str) -> None:
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    db_path = tmp_path / "dutybot.db"
    admin = api.user(ADMIN_ID, "办公室郑晓")
    zhang = api.user(21, "张三")
    first = pg_bot(api, server, db_path, tmp_path / "first", url=pg_url)
    second = pg_bot(api, server, db_path, tmp_path / "second", url=pg_url)
    try:
        bot = first.start()
        bot.reply_to(admin, "/newunit 某局党委")
        code = invite_code(bot.reply_to(admin, "/登记 张三 支部书记 某局党委"))
        assert bot.reply_to(zhang, f"/start {code}").startswith("✅ 绑定成功！欢迎您，张三。")
        assert NO_ITEMS in bot.reply_to(zhang, "/mylist")
        rc, output = first.stop()
        assert_clean_exit(rc, output, api.token)
        assert rows(pg_url, "SELECT name, telegram_user_id FROM persons") == [("张三", 21)]
        stored = rows(pg_url, "SELECT update_id FROM inbox ORDER BY seq")
        assert len(stored) >= 4 and stored == sorted(stored)
        assert rows(pg_url, "SELECT COUNT(*) FROM processed_updates")[0][0] >= 3

        bot = second.start()  # the same database: the binding stands, the invite is used
        assert bot.reply_to(zhang, "/start") == (
            "张三，您好！您已绑定为下级党组织书记。\n发送 /帮助 查看您可以做的事。")
        rc, output = second.stop()
        assert_clean_exit(rc, output, api.token)
        assert not db_path.exists()
    finally:
        for process in (first, second):
            process.kill_if_running()
        server.stop()


def test_the_database_server_gone_for_a_while_is_waited_for_and_nothing_is_lost(
        tmp_path: Path, pg_cluster, pg_url: str) -> None:
    """Issue 23: the server restarted mid-run (an update arriving meanwhile): the bot does
    not die or loop, and once the server is back the update is stored, handled once and
    answered; a clean stop after."""
    import time

    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    admin = api.user(ADMIN_ID, "办公室郑晓")
    bot = pg_bot(api, server, tmp_path / "dutybot.db", tmp_path / "bot", url=pg_url)
    try:
        bot.start()
        assert "某局党委" in bot.reply_to(admin, "/newunit 某局党委")
        pg_cluster.pause()
        try:
            api.send_text(admin, "/newunit 财务科 某局党委")
            time.sleep(4.0)  # polls, fails to store, backs off: still running
            assert bot.proc is not None and bot.proc.poll() is None, bot.output()[-2000:]
        finally:
            pg_cluster.resume()
        bot.wait_for(lambda: any("财务科" in m.plain for m in api.bot_messages(ADMIN_ID)),
                     "the answer once the server is back", [ADMIN_ID])
        assert rows(pg_url, "SELECT name FROM units ORDER BY id") == [("某局党委",), ("财务科",)]
        assert "财务科" in bot.reply_to(admin, "/units")  # and it goes on working
        rc, output = bot.stop()
        assert rc == 0, output[-3000:]
    finally:
        bot.kill_if_running()
        server.stop()
