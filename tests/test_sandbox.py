"""`dutybot sandbox`: the run-assembled bot against the fake Telegram over HTTP, the demo
unit seeded, and its page on 127.0.0.1 — driven over HTTP here and in a real chromium at
the end (tests/browser.py). What a person sees on the page is what is asserted."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.cli_sandbox import port_number
from bot.fake_telegram.api import DOWNLOAD_LIMIT
from bot.sandbox.render import telegram_html
from bot.sandbox.screenshot import sandbox_screenshot
from bot.sandbox.server import running_sandbox
from bot.sandbox.world import PUSH_SECONDS, Sandbox
from tests.browser import chromium_path, unavailable

LI_MING = 1003  # 班子成员, owner of three items in the demo unit
WANG_FANG = 1004  # 班子成员, whose 措施 falls due on the Friday of the first week
LIU_YANG = 1006  # 纪委书记
ADMIN = 1001  # 郑晓, the admin
GROUP = -1001  # 局纪委工作群


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[Sandbox, httpx.AsyncClient]]:
    async with running_sandbox(0) as (world, url), \
            httpx.AsyncClient(base_url=url, trust_env=False, timeout=60) as client:
        yield world, client


def _note(response: httpx.Response) -> str:
    """The line the page shows after an action (carried by the redirect)."""
    assert response.status_code == 303, response.text[:300]
    return parse_qs(urlsplit(response.headers["location"]).query).get("note", [""])[0]


async def _chat(client: httpx.AsyncClient, person: int, group: int | None = None) -> dict:
    params = {"as": person} | ({"in": group} if group else {})
    response = await client.get("/api/chat", params=params)
    assert response.status_code == 200
    return response.json()


def _everything(world: Sandbox) -> int:
    return sum(len(m) for m in world.api.messages.values())


# -- the bot's HTML on the page -----------------------------------------------------------------

def test_telegram_tags_pass_and_everything_else_is_text():
    shown = str(telegram_html('<b>W0001</b> <i>i</i> <u>u</u> <s>s</s> <code>c</code> '
                              '<pre>p</pre> <tg-spoiler>x</tg-spoiler> <blockquote>q</blockquote>'))
    for tag in ("b", "i", "u", "s", "code", "pre", "tg-spoiler", "blockquote"):
        assert f"<{tag}>" in shown and f"</{tag}>" in shown
    shown = str(telegram_html('<script>alert(1)</script><img src=x onerror=alert(1)>'
                              '<span class="tg-spoiler">s</span>'))
    assert "<script" not in shown and "<img" not in shown and "<span" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown


def test_links_keep_only_a_web_address_and_tags_are_closed():
    shown = str(telegram_html('<a href="https://t.me/x?start=A&amp;b=1" onclick="evil()">go</a>'))
    assert 'href="https://t.me/x?start=A&amp;b=1"' in shown and "onclick" not in shown
    assert str(telegram_html('<a href="javascript:alert(1)">x</a>')) == "<a>x</a>"
    assert str(telegram_html("<b>open <i>twice")) == "<b>open <i>twice</i></b>"
    assert str(telegram_html("a &lt;b&gt; &amp; c")) == "a &lt;b&gt; &amp; c"
    assert str(telegram_html("</b>stray")) == "&lt;/b&gt;stray"


# -- the page over HTTP -----------------------------------------------------------------------

async def test_the_first_page_lists_the_demo_people_and_the_group(sandbox):
    _world, client = sandbox
    page = await client.get("/")
    assert page.status_code == 200
    for name in ("郑晓", "陈建国", "李明", "刘洋", "孙丽", "路人甲", "局纪委工作群"):
        assert name in page.text
    assert f'href="/chat?as={LI_MING}"' in page.text
    data = (await client.get("/api/people")).json()
    assert {"id": LI_MING, "name": "李明", "role": "班子成员 · 某局党委"} in data["people"]
    assert data["groups"] == [{"id": GROUP, "title": "局纪委工作群"}]
    assert data["clock"].startswith("2026-11-23T09:00")


async def test_a_command_is_answered_and_a_tap_redraws_the_message(sandbox):
    _world, client = sandbox
    assert _note(await client.post("/send", data={"as": LI_MING, "text": "/我的清单"})) == ""
    messages = (await _chat(client, LI_MING))["messages"]
    assert messages[-2]["who"] == "我" and messages[-2]["text"] == "/我的清单"
    listing = messages[-1]
    assert listing["from_bot"] and listing["text"].startswith("我的清单")
    assert "<b>" in listing["html"] or "⚪" in listing["html"]
    done = next(b for b in listing["buttons"] if b["text"] == "已完成")
    code = re.search(r"[WZC]\d{4}", listing["buttons"][0]["text"])[0]
    assert f"⚪ {code}" in listing["text"]

    note = _note(await client.post("/press", data={
        "as": LI_MING, "message": listing["id"], "button": done["index"]}))
    assert note == f"💬 按钮提示：{code} 已完成，辛苦了"
    redrawn = next(m for m in (await _chat(client, LI_MING))["messages"]
                   if m["id"] == listing["id"])
    assert f"✅ {code}" in redrawn["text"] and redrawn["edited"]
    page = await client.get("/chat", params={"as": LI_MING, "note": note})
    assert f"✅ <code>{code}</code>" in page.text  # the bot's HTML, drawn
    assert "已编辑" in page.text and note in page.text


async def test_unknown_people_and_groups_get_a_chinese_page_and_change_nothing(sandbox):
    world, client = sandbox
    before = _everything(world)
    for params in ({"as": "999"}, {"as": "abc"}, {"as": ""}, {"as": "1003", "in": "-5"}):
        page = await client.get("/chat", params=params)
        assert page.status_code == 404
        assert "没有这个" in page.text and "请回到首页" in page.text
    for path, form in (("/send", {"as": "999", "text": "/我的清单"}),
                       ("/press", {"as": "999", "message": "1", "button": "0"}),
                       ("/clock", {"as": "-7"}),
                       ("/send", {"as": str(LI_MING), "in": "12", "text": "/todo"})):
        page = await client.post(path, data=form)
        assert page.status_code == 404 and "没有这个" in page.text
    upload = await client.post("/upload", data={"as": "999"},
                               files={"file": ("导入.xlsx", b"PK\x03\x04", "application/zip")})
    assert upload.status_code == 404 and "没有这个人" in upload.text
    assert (await client.get("/api/chat", params={"as": "999"})).json() == {
        "error": "没有这个人：“999”。请回到首页，从名单里选一位。"}
    assert world.clock.now().isoformat().startswith("2026-11-23T09:00")
    assert _everything(world) == before


async def test_an_empty_message_or_a_stale_button_is_one_line_and_nothing_is_sent(sandbox):
    world, client = sandbox
    before = _everything(world)
    assert _note(await client.post("/send", data={"as": LI_MING, "text": "   "})) == \
        "消息不能为空：请输入文字或命令，如 /我的清单。"
    assert _note(await client.post("/press", data={
        "as": LI_MING, "message": "999999", "button": "0"})) == \
        "这条消息或按钮已经不在了，页面已刷新，请再点一次。"
    assert _note(await client.post("/send", data={"as": LI_MING, "text": "长" * 4097})) \
        .startswith("消息太长")
    assert _note(await client.post("/upload", data={"as": ADMIN})) == \
        "没有选择文件：请先选择要上传的文件，再点“上传文件”。"
    assert _everything(world) == before


async def test_the_template_downloads_and_an_upload_reaches_the_bot(sandbox):
    world, client = sandbox
    template = await client.get("/template")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    assert "attachment" in template.headers["content-disposition"]
    assert _note(await client.post("/upload", data={"as": ADMIN}, files={
        "file": ("导入模板.xlsx", template.content,
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})) == ""
    messages = (await _chat(client, ADMIN))["messages"]
    assert messages[-2]["text"] == "📎 导入模板.xlsx"
    assert messages[-1]["from_bot"] and messages[-1]["text"]
    assert world.api.downloads  # the bot fetched the file from the fake, as from Telegram


async def test_an_upload_over_telegrams_limit_gets_the_bots_own_refusal(sandbox):
    world, client = sandbox
    big = b"\0" * (DOWNLOAD_LIMIT + 1024 * 1024)
    assert _note(await client.post("/upload", data={"as": ADMIN},
                                   files={"file": ("全年台账.xlsx", big)})) == ""
    answer = (await _chat(client, ADMIN))["messages"][-1]
    assert answer["text"].startswith("⛔ 文件太大（21.0 MB）")
    assert not world.api.downloads  # refused by its size, never fetched


async def test_documents_and_photos_the_bot_sends_are_served(sandbox):
    _world, client = sandbox
    await client.post("/send", data={"as": LIU_YANG, "text": "/导出"})
    ledger = next(m for m in reversed((await _chat(client, LIU_YANG))["messages"])
                  if m["document"])
    assert ledger["file_name"].endswith(".xlsx")
    file = await client.get(ledger["document"])
    assert file.status_code == 200 and file.content[:2] == b"PK"
    assert (await client.get(f"/file/{LIU_YANG}/999999")).status_code == 404
    assert (await client.get("/file/424242/1")).status_code == 404
    await client.post("/send", data={"as": LIU_YANG, "in": GROUP, "text": "/weekly"})
    chart = next((m for m in (await _chat(client, LIU_YANG, GROUP))["messages"]
                  if m["photo"]), None)
    if chart is not None:  # drawn only where a CJK font is installed
        image = await client.get(chart["photo"])
        assert image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
        page = await client.get("/chat", params={"as": LIU_YANG, "in": GROUP})
        assert f'<img src="{chart["photo"]}"' in page.text


async def test_a_group_chat_as_one_of_its_members(sandbox):
    _world, client = sandbox
    assert _note(await client.post("/send", data={"as": LIU_YANG, "in": GROUP,
                                                  "text": "/todo"})) == ""
    messages = (await _chat(client, LIU_YANG, GROUP))["messages"]
    assert messages[-2]["text"] == "/todo" and messages[-1]["from_bot"]
    page = await client.get("/chat", params={"as": LIU_YANG, "in": GROUP})
    assert "局纪委工作群 · 以刘洋的身份" in page.text
    note = _note(await client.post("/send", data={"as": LIU_YANG, "in": GROUP,
                                                  "text": "大家好"}))
    assert note.startswith("群里开着隐私模式")


async def test_the_clock_button_moves_to_the_next_workday_and_pushes_arrive(sandbox):
    _world, client = sandbox
    before = len((await _chat(client, WANG_FANG))["messages"])
    note = _note(await client.post("/clock", data={"as": WANG_FANG}))
    assert note == "时钟已拨到 2026-11-24（周二） 09:00，机器人发出推送：王芳 1 条。"
    after = (await _chat(client, WANG_FANG))
    assert len(after["messages"]) > before and after["clock"].startswith("2026-11-24T09:00")
    # Friday → Monday: the weekend is skipped
    for _ in range(4):
        note = _note(await client.post("/clock", data={"as": WANG_FANG}))
    assert note.startswith("时钟已拨到 2026-11-30（周一） 09:00")


async def test_a_text_reply_to_a_bot_message(sandbox):
    world, client = sandbox
    await client.post("/send", data={"as": LI_MING, "text": "/我的清单"})
    listing = (await _chat(client, LI_MING))["messages"][-1]
    page = await client.get("/chat", params={"as": LI_MING, "reply": listing["id"]})
    assert "回复这条消息：我的清单" in page.text
    await client.post("/send", data={"as": LI_MING, "text": "已在推进",
                                     "reply": listing["id"]})
    assert len((await _chat(client, LI_MING))["messages"]) > 2
    assert world.api.messages[LI_MING][-2].text == "已在推进"


def test_the_port_option_refuses_nonsense():
    assert port_number("0") == 0 and port_number("8090") == 8090
    for bad in ("-1", "65536", "abc", ""):
        with pytest.raises(Exception, match="--port 应为 0–65535 的数字"):
            port_number(bad)


def test_the_production_run_path_does_not_import_the_sandbox_or_the_fake():
    code = ("import sys, bot.cli, bot.app; from bot.cli import cmd_run, _run; "
            "print(sorted(m for m in sys.modules if m.startswith("
            "('bot.sandbox', 'bot.fake_telegram', 'bot.demo', 'bot.cli_sandbox.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_the_console_stops_cleanly_on_ctrl_c(tmp_path):
    """`dutybot sandbox --no-open` prints the address; SIGINT stops it, files removed."""
    import os
    import signal
    import time

    env = {**os.environ, "TMPDIR": str(tmp_path), "NO_PROXY": "127.0.0.1,localhost"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "sandbox", "--no-open"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=tmp_path)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "http://127.0.0.1:" in line:
                break
        url = re.search(r"http://127\.0\.0\.1:\d+/", "".join(lines))[0]
        assert httpx.get(url + "api/people", trust_env=False).status_code == 200
        assert any(p.name.startswith("dutybot-sandbox-") for p in tmp_path.iterdir())
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "试用沙盒已停止" in out
    assert not any(p.name.startswith("dutybot-sandbox-") for p in tmp_path.iterdir())


# -- in a real browser ---------------------------------------------------------------------------

async def test_in_a_browser_pick_a_person_list_tap_done_and_move_the_clock(page):
    async with running_sandbox(0) as (_world, url):
        await page.goto(url)
        await page.click("#people >> text=王芳")
        await page.wait_for_selector("text=王芳 与机器人的私聊")
        await page.fill("#compose input[name=text]", "/我的清单")
        await page.click("#compose button")
        await page.wait_for_selector(".msg >> text=我的清单（共")
        listing = page.locator(".msg").last
        listing = page.locator("#" + await listing.get_attribute("id"))
        assert "⚪ L0031" in await listing.locator(".bubble").text_content()
        await listing.locator(".keyboard button", has_text="已完成").last.click()
        await page.wait_for_selector("#note >> text=L0031 已完成")
        assert "✅ L0031" in await listing.locator(".bubble").text_content()
        assert "已编辑" in await listing.text_content()
        shown = await page.locator(".msg").count()
        # the form's answer comes once the pushes went, or after PUSH_SECONDS at most, and
        # the click waits for it: longer than that
        await page.click("#clock", timeout=(PUSH_SECONDS + 30) * 1000)
        await page.wait_for_selector("#note >> text=时钟已拨到 2026-11-24")
        assert "王芳 1 条" in await page.text_content("#note")
        assert await page.locator(".msg").count() == shown + 1  # the push, in her chat
        assert "今日提醒" in await page.locator(".msg").last.text_content()


async def test_in_a_browser_a_push_while_the_clocks_form_waits_keeps_its_note(page,
                                                                               monkeypatch):
    """The page redraws itself when a message arrives; a push that lands in the open chat
    while the 时钟 form still waits for its answer must not cancel that answer (and its
    note). Here the answer comes 3 s after the push, past the page's 2-s look."""
    next_workday = Sandbox.next_workday

    async def slow(self: Sandbox):  # type: ignore[no-untyped-def]
        moved = await next_workday(self)
        await asyncio.sleep(3)
        return moved

    monkeypatch.setattr(Sandbox, "next_workday", slow)
    async with running_sandbox(0) as (_world, url):
        await page.goto(url)
        await page.click("#people >> text=王芳")
        await page.wait_for_selector("text=王芳 与机器人的私聊")
        shown = await page.locator(".msg").count()
        await page.click("#clock", timeout=(PUSH_SECONDS + 30) * 1000)
        await page.wait_for_selector("#note >> text=时钟已拨到 2026-11-24")
        assert "王芳 1 条" in await page.text_content("#note")
        assert await page.locator(".msg").count() == shown + 1


# -- the demo's picture of the page ------------------------------------------------------------

async def test_without_chromium_the_demo_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DUTYBOT_CHROMIUM", str(tmp_path / "no-such-browser"))
    line = await sandbox_screenshot(tmp_path / "demo-output")
    assert line == "（未生成试用沙盒截图：本机没有 chromium 浏览器（apt-get install -y chromium））"
    assert not (tmp_path / "demo-output").exists()


async def test_the_demo_takes_a_picture_of_the_sandbox_page(tmp_path):
    if chromium_path() is None:
        unavailable("chromium not found")
    line = await sandbox_screenshot(tmp_path / "demo-output")
    picture = tmp_path / "demo-output" / "sandbox.png"
    assert line == f"📄 {picture}"
    assert picture.read_bytes().startswith(b"\x89PNG")


async def test_a_page_asked_for_under_another_name_is_refused(sandbox):
    world, client = sandbox
    before = _everything(world)
    for host in ("evil.example.org", "evil.example.org:8080", "127.0.0.1.nip.io"):
        page = await client.post("/send", data={"as": LI_MING, "text": "/我的清单"},
                                 headers={"Host": host})
        assert page.status_code == 421 and "试用沙盒只在本机地址上打开" in page.text
    assert (await client.get("/", headers={"Host": "localhost:1234"})).status_code == 200
    assert _everything(world) == before


def test_a_port_in_use_is_one_chinese_line_before_anything_starts(settings, capsys, tmp_path,
                                                                   monkeypatch):
    import socket

    from bot.cli_sandbox import cmd_sandbox

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        assert cmd_sandbox(settings, port, open_browser=False) == 1
    finally:
        taken.close()
    err = capsys.readouterr().err
    assert err.startswith(f"dutybot: sandbox: 端口 {port} 无法使用（")
    assert "--port 0" in err and "Traceback" not in err
    assert not any(p.name.startswith("dutybot-sandbox-") for p in tmp_path.iterdir())
