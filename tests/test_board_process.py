"""`dutybot run --board` as its own process (issue 24 §3): the 看板 served beside the bot,
logged into over real HTTP with a link /看板 sent, and no token in what the process prints."""

from __future__ import annotations

import http.client
import re

from bot.fake_telegram import FakeTelegram, invite_code
from bot.fake_telegram.server import FakeTelegramServer
from tests.botprocess import ADMIN_ID, BotProcess, assert_clean_exit
from tests.test_board import free_port

LINK = re.compile(r"http://\S+?/login/([A-Za-z0-9_-]+)")


def request(port: int, method: str, path: str, host: str,
            cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": host} | ({"Cookie": cookie} if cookie else {})
    conn.request(method, path, headers=headers)
    answer = conn.getresponse()
    body = answer.read().decode("utf-8")
    found = {k: v for k, v in answer.getheaders()}
    conn.close()
    return answer.status, found, body


def test_run_with_the_board_serves_it_beside_the_bot(tmp_path):
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    port = free_port()
    public = f"board.example.org:{port}"
    bot = BotProcess(api, server, tmp_path / "dutybot.db", tmp_path)
    try:
        bot.start("--board", f"127.0.0.1:{port}",
                  DUTYBOT_BOARD_URL=f"http://{public}/board")
        admin = api.user(ADMIN_ID, "办公室郑晓")
        bot.reply_to(admin, "/newunit 某局党委")
        code = invite_code(bot.reply_to(admin, "/登记 陈书记 党委书记 某局党委"))
        chen = api.user(10, "陈书记")
        bot.reply_to(chen, f"/start {code}")
        token = LINK.search(bot.reply_to(chen, "/看板")).group(1)

        status, _, page = request(port, "GET", f"/board/login/{token}", public)
        assert status == 200 and "进入看板" in page
        assert request(port, "GET", f"/board/login/{token}", "127.0.0.1")[0] == 421
        status, headers, _ = request(port, "POST", f"/board/login/{token}", public)
        assert status == 303
        cookie = headers["Set-Cookie"].split(";")[0]
        status, _, page = request(port, "GET", "/board/", public, cookie)
        assert status == 200 and "陈书记" in page and "范围：全部单位" in page
        assert request(port, "POST", f"/board/login/{token}", public)[0] == 403

        rc, output = bot.stop()
        assert_clean_exit(rc, output, api.token)
        assert token not in output and cookie.split("=", 1)[1] not in output
        assert "看板 listening on 127.0.0.1" in output
    finally:
        bot.kill_if_running()
        server.stop()
