"""The 纪委 看板 (issue 24 §3): the rules, the /看板 command through the fake Bot API, the
login links and sessions over HTTP (aiohttp's test client), bad input, `board-link`."""

from __future__ import annotations

import logging
import re
import socket
import sqlite3
from datetime import date, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.board.server import COOKIE, RUNNER, BoardServer
from bot.cli_board import cmd_board_link
from bot.config import ConfigError, load_settings
from bot.domain.board import (
    Denied,
    board_scope,
    link_problem,
    login_url,
    plausible_token,
    token_hash,
    trend_start,
    weekly_rates,
)
from bot.domain.model import Person, Role, Unit, UnitKind
from tests.conftest import ADMIN_ID, MONDAY

LINK = re.compile(r"https?://\S+?/login/[A-Za-z0-9_-]+")

UNITS = {1: Unit(1, "某局党委", UnitKind.COMMITTEE), 2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1),
         3: Unit(3, "财务科党支部", UnitKind.BRANCH, 2)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path, monkeypatch, port):
    """The bot's settings with the board's public address (the conftest's, plus the URL)."""
    monkeypatch.chdir(tmp_path)
    return load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db", DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                         TELEGRAM_API_BASE_URL="https://api.telegram.org",
                         DUTYBOT_BOARD_URL=f"http://127.0.0.1:{port}/board",
                         DUTYBOT_BOARD_LISTEN=f"127.0.0.1:{port}")


@pytest.fixture
async def web(bot, settings):
    """The board's app on aiohttp's test client (its requests name the board's Host)."""
    server = BoardServer(bot.app.bot_data.services.board, settings, "127.0.0.1", 0)
    client = await served_client(server)
    try:
        yield client
    finally:
        await client.close()


async def served_client(server: BoardServer) -> TestClient:
    """aiohttp's test client on the board's app, run as `dutybot run --board` runs it."""
    served = TestServer(server.app())
    await served.start_server(**RUNNER)  # the test server takes these here only
    client = TestClient(served)
    await client.start_server()
    return client


def host(settings) -> dict[str, str]:
    return {"Host": next(iter(settings.board_hosts))}


async def link_for(bot, api, user) -> str:
    await bot.send(user, "/看板")
    text = api.last(user.id).plain
    found = LINK.search(text)
    assert found, text
    return found.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def rows(settings, sql: str) -> list[tuple]:
    with sqlite3.connect(settings.db_path) as conn:
        return conn.execute(sql).fetchall()


async def login(web, settings, url: str) -> str:
    """POST the link; the session cookie's value."""
    answer = await web.post(path_of(url), headers=host(settings), allow_redirects=False)
    assert answer.status == 303, await answer.text()
    return answer.cookies[COOKIE].value


async def view(web, settings, cookie: str | None):
    headers = host(settings) | ({"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    answer = await web.get("/board/", headers=headers)
    return answer.status, await answer.text()


# -- the rules -----------------------------------------------------------------------------

def test_who_gets_a_board_and_of_what():
    secretary = Person(10, "陈书记", 1, frozenset({Role.SECRETARY}))
    member = Person(11, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2}))
    discipline = Person(13, "刘纪委", 1, frozenset({Role.DISCIPLINE}))
    assert board_scope(secretary, UNITS).everything
    assert board_scope(discipline, UNITS).everything
    scope = board_scope(member, UNITS)
    assert not scope.everything and scope.unit_ids == {2, 3} and scope.person_id == 11
    for nobody in (Person(14, "周支书", 3, frozenset({Role.BRANCH_SECRETARY})),
                   Person(16, "郑晓", 1, frozenset({Role.ADMIN})),
                   Person(12, "王芳", 1, frozenset({Role.MEMBER})),  # no 分管 units
                   None):
        assert board_scope(nobody, UNITS) is None


def test_a_link_is_good_once_and_for_ten_minutes():
    made = MONDAY
    expires = made + timedelta(minutes=10)
    assert link_problem(expires, None, made + timedelta(minutes=9)) is None
    assert link_problem(expires, None, expires) is Denied.EXPIRED
    assert link_problem(expires, made, made) is Denied.USED


def test_token_shapes_and_the_link():
    assert plausible_token("a" * 43) and not plausible_token("../../etc/passwd")
    assert not plausible_token("a" * 500) and not plausible_token("看板" * 20)
    assert token_hash("x") != "x" and len(token_hash("x")) == 64
    assert login_url("https://x.org/board/", "T" * 43) == "https://x.org/board/login/" + "T" * 43


def test_the_trend_sums_twelve_weeks_by_week():
    today = date(2026, 11, 25)  # a Wednesday
    first = trend_start(today)
    assert first == date(2026, 9, 7) and first.weekday() == 0
    weeks = weekly_rates([(first, 2, 1), (first + timedelta(days=6), 2, 2),
                          (date(2026, 11, 24), 4, 1), (today, 9, 0),  # today: not yet
                          (first - timedelta(days=1), 5, 5)], today)  # before: not counted
    assert len(weeks) == 12
    assert (weeks[0].counted, weeks[0].on_time) == (4, 3) and weeks[0].rate == 0.75
    assert weeks[-1].counted == 4 and weeks[-1].rate == 0.25
    assert weeks[5].rate is None


def test_the_trend_is_drawn_with_gaps_where_nothing_fell_due():
    from bot.board.view import trend
    from bot.domain.board import WeekRate

    monday = date(2026, 9, 7)
    weeks = [WeekRate(monday + timedelta(weeks=i), n, good)
             for i, (n, good) in enumerate([(2, 2), (4, 1), (0, 0), (1, 0)])]
    drawn = trend(weeks)
    assert [p.value for p in drawn.points] == ["100%", "25%", "0%"]
    assert len(drawn.paths) == 2 and len(drawn.paths[0].split()) == 2  # broken at week 3
    assert [label for _, label in drawn.ticks] == ["9/14", "9/28"]  # every other, the last
    top, bottom = drawn.points[0].y, drawn.points[2].y
    assert top < bottom  # 100% above 0%
    assert trend([WeekRate(monday, 0, 0)]).points == []


def test_board_settings_are_checked(tmp_path):
    good = load_settings(DUTYBOT_DB_PATH=tmp_path / "x.db",
                         DUTYBOT_BOARD_URL="https://Board.Example.org/kanban/")
    assert good.board_url == "https://Board.Example.org/kanban" and good.board_secure
    assert good.board_path == "/kanban"
    assert good.board_hosts == {"board.example.org", "board.example.org:443"}
    assert good.board_address is None  # off by default
    on = load_settings(DUTYBOT_DB_PATH=tmp_path / "x.db", DUTYBOT_BOARD_LISTEN="127.0.0.1:8080")
    assert on.board_address == ("127.0.0.1", 8080)
    for bad in ("ftp://x.org", "https://", "https://x.org/?a=1", "https://看板.cn"):
        with pytest.raises(ConfigError, match="DUTYBOT_BOARD_URL"):
            load_settings(DUTYBOT_DB_PATH=tmp_path / "x.db", DUTYBOT_BOARD_URL=bad)
    with pytest.raises(ConfigError, match="DUTYBOT_BOARD_LISTEN"):
        load_settings(DUTYBOT_DB_PATH=tmp_path / "x.db", DUTYBOT_BOARD_LISTEN="8080")


# -- /看板 in chat ---------------------------------------------------------------------------

async def test_board_in_a_private_chat_sends_a_one_time_link(bot, api, org, settings):
    liu = org.users["刘纪委"]
    url = await link_for(bot, api, liu)
    assert url.startswith(settings.board_url + "/login/")
    text = api.last(liu.id).plain
    assert "10 分钟" in text and "只能用一次" in text
    token = url.rsplit("/", 1)[1]
    stored = rows(settings, "SELECT token_hash, used_at, via FROM board_links")
    assert stored == [(token_hash(token), None, "chat")]  # the hash only
    events = rows(settings, "SELECT kind, data FROM events WHERE kind LIKE 'board.%'")
    assert [e[0] for e in events] == ["board.link"] and token not in events[0][1]
    await bot.send(liu, "/board")  # the ASCII alias: another link
    assert LINK.search(api.last(liu.id).plain).group(0) != url


async def test_board_is_refused_to_who_has_none_and_in_groups(bot, api, org, world, settings):
    zhou = org.users["周支书"]
    await bot.send(zhou, "/看板")
    assert "没有看板" in api.last(zhou.id).plain
    await bot.send(org.users["刘纪委"], "/board", chat=world["group"])  # privacy: ASCII
    assert "私聊" in api.last(world["group"].id).plain
    stranger = api.user(77, "路人")
    await bot.send(stranger, "/看板")
    assert "绑定" in api.last(77).plain
    assert rows(settings, "SELECT COUNT(*) FROM board_links") == [(0,)]


async def test_board_without_a_public_url_says_what_to_set(tmp_path, api, clock, monkeypatch):
    from bot.fake_telegram.driver import driven_bot
    from tests.conftest import Org

    monkeypatch.chdir(tmp_path)
    plain = load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db", DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                          TELEGRAM_API_BASE_URL="https://api.telegram.org")
    async with driven_bot(plain, api, clock) as bot:
        org = await Org(bot, api, api.user(ADMIN_ID, "办公室郑晓")).build()
        liu = org.users["刘纪委"]
        await bot.send(liu, "/看板")
        answer = api.last(liu.id).plain
        assert "DUTYBOT_BOARD_URL" in answer and len(answer.splitlines()) == 1
    assert cmd_board_link(plain, "刘纪委") == 1


# -- the login over HTTP -----------------------------------------------------------------

async def test_a_get_shows_the_button_and_uses_nothing_up(bot, api, org, web, settings):
    url = await link_for(bot, api, org.users["刘纪委"])
    events = rows(settings, "SELECT COUNT(*) FROM events")
    for _ in range(2):  # a link preview, a scanner, then the person
        answer = await web.get(path_of(url), headers=host(settings))
        page = await answer.text()
        assert answer.status == 200 and "进入看板" in page and "刘纪委" in page
        assert 'method="post"' in page
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert answer.headers["Cache-Control"] == "no-store"
    assert rows(settings, "SELECT used_at FROM board_links") == [(None,)]
    assert rows(settings, "SELECT COUNT(*) FROM events") == events


async def test_the_post_opens_a_session_once(bot, api, org, world, web, settings, clock):
    url = await link_for(bot, api, org.users["刘纪委"])
    answer = await web.post(path_of(url), headers=host(settings), allow_redirects=False)
    assert answer.status == 303 and answer.headers["Location"] == "/board/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/board/" in cookie
    assert "Secure" not in cookie  # an http:// base URL; https gets Secure (below)
    value = answer.cookies[COOKIE].value
    assert rows(settings, "SELECT token_hash FROM board_sessions") == [(token_hash(value),)]
    # used: a second POST and a later GET are refused, nothing more is opened
    again = await web.post(path_of(url), headers=host(settings), allow_redirects=False)
    assert again.status == 403 and "已经用过" in await again.text()
    later = await web.get(path_of(url), headers=host(settings))
    assert later.status == 403 and "已经用过" in await later.text()
    assert rows(settings, "SELECT COUNT(*) FROM board_sessions") == [(1,)]
    status, page = await view(web, settings, value)
    assert status == 200 and "范围：全部单位" in page
    assert [k for (k,) in rows(settings, "SELECT kind FROM events WHERE kind LIKE 'board.%' "
                                         "ORDER BY id")] == ["board.link", "board.login",
                                                             "board.view"]


async def test_the_board_shows_the_summary_in_scope(bot, api, org, world, web, settings,
                                                    clock):
    clock.advance(timedelta(days=7))  # Monday 30 Nov: a (due 27 Nov) overdue, b (2 Dec) soon
    everything = await login(web, settings, await link_for(bot, api, org.users["刘纪委"]))
    status, page = await view(web, settings, everything)
    assert status == 200
    red = page.split('id="red"')[1].split("</section>")[0]
    yellow = page.split('id="yellow"')[1].split("</section>")[0]
    assert world["a"] in red and "逐笔核查公务接待报销凭证" in red and "周支书" in red
    assert world["b"] in yellow and world["b"] not in red
    for part in ('id="by-unit"', 'id="by-duty"', 'id="talks-fixes"', 'id="chain"', "<svg",
                 "按时完成率趋势"):
        assert part in page
    # 李明 分管 财务科 (and its 党支部): 周支书's item, not 王芳's in 项目科
    member = await login(web, settings, await link_for(bot, api, org.users["李明"]))
    status, page = await view(web, settings, member)
    assert status == 200 and "范围：本人事项和分管单位" in page and "财务科" in page
    assert world["a"] in page and world["b"] not in page
    assert "项目科" not in page.split('id="by-unit"')[1].split("</section>")[0]


async def test_an_expired_link_or_session_opens_nothing(bot, api, org, web, settings, clock):
    url = await link_for(bot, api, org.users["陈书记"])
    clock.advance(timedelta(minutes=10))
    for answer in (await web.get(path_of(url), headers=host(settings)),
                   await web.post(path_of(url), headers=host(settings), allow_redirects=False)):
        assert answer.status == 403 and "过期" in await answer.text()
    assert rows(settings, "SELECT COUNT(*) FROM board_sessions") == [(0,)]
    assert rows(settings, "SELECT used_at FROM board_links") == [(None,)]
    cookie = await login(web, settings, await link_for(bot, api, org.users["陈书记"]))
    clock.advance(timedelta(hours=8))
    status, page = await view(web, settings, cookie)
    assert status == 403 and "过期" in page and "某局党委" not in page


async def test_forged_cookies_and_links_are_refused(bot, api, org, world, web, settings):
    events = rows(settings, "SELECT COUNT(*) FROM events")
    for forged in ("x" * 43, "abc", "' OR 1=1 --", "%00", "a" * 5000):
        status, page = await view(web, settings, forged)
        assert status == 403 and world["a"] not in page and "无效" in page
    status, page = await view(web, settings, None)
    assert status == 403 and "/看板" in page
    for token in ("y" * 43, "..%2F..%2Fetc", "a" * 300):
        answer = await web.get("/board/login/" + token, headers=host(settings))
        assert answer.status == 403 and "无效" in await answer.text()
        answer = await web.post("/board/login/" + token, headers=host(settings))
        assert answer.status == 403
    assert rows(settings, "SELECT COUNT(*) FROM events") == events
    assert rows(settings, "SELECT COUNT(*) FROM board_sessions") == [(0,)]


async def test_a_wrong_host_is_refused(bot, api, org, web, settings):
    url = await link_for(bot, api, org.users["刘纪委"])
    for wrong in ("evil.example.org", "127.0.0.1", "localhost:1"):
        answer = await web.get(path_of(url), headers={"Host": wrong})
        assert answer.status == 421 and "DUTYBOT_BOARD_URL" in await answer.text()
        answer = await web.post(path_of(url), headers={"Host": wrong}, allow_redirects=False)
        assert answer.status == 421
    assert rows(settings, "SELECT used_at FROM board_links") == [(None,)]


async def test_a_post_from_another_site_is_refused(bot, api, org, web, settings):
    url = await link_for(bot, api, org.users["刘纪委"])
    answer = await web.post(path_of(url), headers=host(settings) | {
        "Origin": "https://evil.example.org"}, allow_redirects=False)
    assert answer.status == 403 and COOKIE not in answer.cookies
    assert rows(settings, "SELECT used_at FROM board_links") == [(None,)]
    same = "http://" + next(iter(settings.board_hosts))
    answer = await web.post(path_of(url), headers=host(settings) | {"Origin": same},
                            allow_redirects=False)
    assert answer.status == 303


async def test_rights_are_read_again_on_every_view(bot, api, org, web, settings):
    cookie = await login(web, settings, await link_for(bot, api, org.users["李明"]))
    assert (await view(web, settings, cookie))[0] == 200
    url = await link_for(bot, api, org.users["李明"])  # a second link, not used yet
    services = bot.app.bot_data.services
    async with services.db.transaction() as tx:  # 李明 leaves his post: no role any more
        li = (await tx.persons.by_name("李明"))[0]
        await tx.persons.set_roles([Person(li.id, li.name, li.unit_id, frozenset())])
    status, page = await view(web, settings, cookie)
    assert status == 403 and "没有看板" in page and "财务科" not in page
    answer = await web.post(path_of(url), headers=host(settings), allow_redirects=False)
    assert answer.status == 403 and rows(settings, "SELECT COUNT(*) FROM board_sessions") == [(1,)]


async def test_logout_ends_the_session(bot, api, org, web, settings):
    cookie = await login(web, settings, await link_for(bot, api, org.users["刘纪委"]))
    answer = await web.post("/board/logout", headers=host(settings) | {
        "Cookie": f"{COOKIE}={cookie}"})
    assert answer.status == 200
    assert (await view(web, settings, cookie))[0] == 403


async def test_tokens_never_reach_the_log(bot, api, org, web, settings, caplog):
    caplog.set_level(logging.INFO)  # what `dutybot run` logs (DEBUG shows every Bot API call)
    url = await link_for(bot, api, org.users["刘纪委"])
    token = url.rsplit("/", 1)[1]
    await web.get(path_of(url), headers=host(settings))
    cookie = await login(web, settings, url)
    await web.post(path_of(url), headers=host(settings))  # refused: logged
    await web.get(path_of(url), headers={"Host": "evil.example.org"})
    await view(web, settings, cookie)
    assert caplog.records and token not in caplog.text and cookie not in caplog.text


async def test_an_https_base_url_makes_the_cookie_secure(bot, api, org, tmp_path):
    https = load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db",
                          DUTYBOT_BOARD_URL="https://board.example.org")
    services = bot.app.bot_data.services
    server = BoardServer(services.board, https, "127.0.0.1", 0)
    async with await served_client(server) as client:
        url = await link_for(bot, api, org.users["刘纪委"])  # the bot's own base URL
        token = url.rsplit("/", 1)[1]
        answer = await client.post("/login/" + token, headers={"Host": "board.example.org"},
                                   allow_redirects=False)
        assert answer.status == 303 and "Secure" in answer.headers["Set-Cookie"]


# -- the console -----------------------------------------------------------------------------

async def test_board_link_prints_a_link_for_a_named_person(org, settings, capsys):
    import asyncio

    loop_free = await asyncio.to_thread(cmd_board_link, settings, "刘纪委")
    assert loop_free == 0
    out = capsys.readouterr().out
    assert "刘纪委" in out and LINK.search(out)
    assert rows(settings, "SELECT via FROM board_links") == [("cli",)]
    for name, words in (("周支书", "没有看板"), ("无此人", "找不到人员")):
        assert await asyncio.to_thread(cmd_board_link, settings, name) == 1
        assert words in capsys.readouterr().err
    assert rows(settings, "SELECT COUNT(*) FROM board_links") == [(1,)]


def test_the_boards_events_read_in_words_in_the_ledger():
    from messages.export import event_details, event_name

    assert event_name("board.view") == "查看看板"
    assert event_details("board.link", {"via": "cli", "link": 3,
                                        "expires_at": "2026-11-23T09:10:00+08:00"},
                         None) == "控制台生成，09:10 前有效"
    assert event_details("board.view", {"session": 1, "path": "/board/", "scope": "oversees"},
                         None) == "范围：本人和分管单位"
