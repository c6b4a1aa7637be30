"""The fake Bot API takes the files the bot uploads (sendPhoto, sendDocument) as Telegram
does: through a real PTB Bot in-process, and over HTTP through the fake server."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.fake_telegram import FakeRequest, FakeTelegram, Upload, User
from bot.fake_telegram.server import FakeTelegramServer

GROUP = -100_777


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


# every byte value, CR/LF runs and something that looks like a multipart boundary
AWKWARD = bytes(range(256)) + b"\r\n--boundary\r\n\r\n\n\r" + os.urandom(2048) + b"\r\n"


@pytest.fixture
def people(api: FakeTelegram) -> tuple[User, User]:
    started = api.user(50, "陈书记")
    api.started.add(started.id)
    stranger = api.user(51, "没打开过")
    api.group(GROUP, "局纪委群")
    return started, stranger


@pytest.fixture
async def tg(api: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot(api.token, request=FakeRequest(api), get_updates_request=FakeRequest(api))
    async with bot:
        yield bot


async def test_send_photo_bytes_lands_with_its_bytes_and_caption(api, people, tg) -> None:
    chen, _ = people
    image = png(400, 300)
    message = await tg.send_photo(chen.id, image, caption="<b>周报</b> 图 &amp; 表",
                                  parse_mode=ParseMode.HTML)
    sent = api.last(chen.id)
    assert sent.photo == image and sent.file is None
    assert sent.caption == "<b>周报</b> 图 &amp; 表"
    assert sent.plain == "🖼 周报 图 & 表"
    assert api.transcript(chen.id) == ["🖼 周报 图 & 表"]
    # what PTB read back: the largest size last, as Telegram orders them
    assert message.photo[-1].width == 400 and message.photo[-1].height == 300
    assert message.photo[0].width <= 90
    assert message.caption == "周报 图 & 表"
    assert message.message_id == sent.message_id


async def test_send_photo_from_a_file_with_buttons(api, people, tg, tmp_path) -> None:
    path = tmp_path / "chart.png"
    path.write_bytes(png())
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("导出", callback_data="x:1")]])
    with path.open("rb") as handle:
        await tg.send_photo(GROUP, handle, reply_markup=markup)
    sent = api.last(GROUP)
    assert sent.photo == path.read_bytes()
    assert sent.caption is None and sent.plain == "🖼"
    assert sent.buttons == [("导出", "x:1")]


async def test_send_document_bytes_and_input_file(api, people, tg) -> None:
    chen, _ = people
    first = await tg.send_document(chen.id, AWKWARD, filename="台账.xlsx", caption="全部台账")
    sent = api.last(chen.id)
    assert sent.file == AWKWARD and sent.photo is None
    assert sent.file_name == "台账.xlsx"
    assert sent.plain == "📎 台账.xlsx 全部台账"
    assert first.document.file_name == "台账.xlsx"
    assert first.document.file_size == len(AWKWARD)
    assert first.caption == "全部台账"

    await tg.send_document(chen.id, InputFile(b"a,b\n1,2\n", filename="week.csv"))
    sent = api.last(chen.id)
    assert (sent.file, sent.file_name, sent.caption) == (b"a,b\n1,2\n", "week.csv", None)
    assert sent.plain == "📎 week.csv"
    assert sent.document["mime_type"] == "text/csv"


async def test_a_sent_file_can_be_fetched_and_sent_again(api, people, tg) -> None:
    chen, _ = people
    message = await tg.send_document(chen.id, b"report", filename="r.txt")
    again = await tg.send_document(GROUP, message.document.file_id)
    assert api.last(GROUP).file == b"report"
    file = await tg.get_file(again.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"report"


async def test_refusals(api, people, tg) -> None:
    chen, stranger = people
    image = png()
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.send_photo(-999, image)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await tg.send_document(stranger.id, b"x", filename="x.txt")
    api.block(chen)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await tg.send_photo(chen.id, image)
    api.blocked.clear()
    api.kicked.add(GROUP)
    with pytest.raises(Forbidden, match=r"(?i)kicked from the group"):
        await tg.send_document(GROUP, b"x", filename="x.txt")
    api.kicked.clear()
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await tg.send_document(chen.id, b"", filename="empty.txt")
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await tg.send_photo(chen.id, b"")
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await tg.send_photo(chen.id, b"not an image")
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await tg.send_photo(chen.id, png(2000, 20))
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await tg.send_photo(chen.id, image, caption="字" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await tg.send_document(chen.id, b"x", filename="x.txt", caption="<b>a",
                               parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await tg.send_photo(chen.id, image, caption="A & B", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await tg.send_photo(chen.id, image, reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("太长", callback_data="数" * 22)]]))
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await tg.send_document(chen.id, "BQACAgIAAxkBAAI999999")
    assert api.bot_messages(chen.id) == [] and api.bot_messages(GROUP) == []
    # a caption of exactly 1024 characters after parsing is fine; tags don't count
    await tg.send_photo(chen.id, image, caption="<i>" + "字" * 1024 + "</i>",
                        parse_mode=ParseMode.HTML)
    assert len(api.last(chen.id).plain) == len("🖼 ") + 1024


async def test_a_photo_has_no_text_to_edit(api, people, tg) -> None:
    chen, _ = people
    message = await tg.send_photo(chen.id, png())
    with pytest.raises(BadRequest, match=r"(?i)no text in the message to edit"):
        await tg.edit_message_text("新", chat_id=chen.id, message_id=message.message_id)


async def test_flood_limit_counts_files_too(api, people, tg, monkeypatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # as bot.app sets it: no deprecation warning
    chen, _ = people
    api.send_rate_limit = 2
    await tg.send_message(chen.id, "一")
    await tg.send_photo(chen.id, png())
    with pytest.raises(RetryAfter):
        await tg.send_document(chen.id, b"x", filename="x.txt")
    assert api.throttled == 1
    assert api.transcript(chen.id) == ["一", "🖼"]


async def test_uploads_over_http(api, people, monkeypatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    chen, _ = people
    server = FakeTelegramServer(api).start()
    try:
        bot = Bot(api.token, base_url=server.root + "/bot",
                  base_file_url=server.root + "/file/bot")
        async with bot:
            image = png(320, 200)
            photo = await bot.send_photo(chen.id, image, caption="<b>本周</b> 1 &lt; 2",
                                         parse_mode=ParseMode.HTML)
            name = '周报 "第48周"\\附件.bin'
            document = await bot.send_document(
                GROUP, AWKWARD, filename=name, caption="台账",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("导出", callback_data="x:2")]]))
            with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
                await bot.send_document(GROUP, b"", filename="empty.txt")
            fetched = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    finally:
        server.stop()
    sent = api.last(chen.id)
    assert sent.photo == image and sent.plain == "🖼 本周 1 < 2"
    assert photo.photo[-1].width == 320 and photo.photo[-1].height == 200
    sent = api.last(GROUP)
    assert sent.file == AWKWARD and sent.file_name == name
    assert sent.plain == f"📎 {name} 台账"
    assert sent.buttons == [("导出", "x:2")]
    assert document.document.file_name == name
    assert bytes(fetched) == AWKWARD
    uploaded = [params["document"] for method, params in api.calls if method == "sendDocument"]
    assert [type(u) for u in uploaded] == [Upload, Upload]  # real multipart parts
