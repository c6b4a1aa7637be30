"""End to end (issue 20, items 4 and 6): names and free text refuse what cannot be seen,
only ASCII digits make numbers and dates, forged buttons are stale, one date grammar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain.dates import DUE_EXAMPLES, PROMPT_EXAMPLES, RELATIVE_DAYS
from messages.refusals import DATE_EXAMPLE
from tests.conftest import snapshot

README = Path(__file__).resolve().parent.parent / "README.md"
STALE = "这个按钮已失效，或不是给您的。如需操作请重新发送命令。"


async def units(bot) -> list[str]:
    async with bot.app.bot_data.services.db.read() as tx:
        return [u.name for u in (await tx.units.all()).values()]


# -- names and free text (item 6) -----------------------------------------------------------

@pytest.mark.parametrize("name, says", [
    ("赵\u200b强", "姓名里有看不见的零宽字符（U+200B）"),
    ("赵\u202e强", "姓名里有看不见的文字方向控制符（U+202E）"),
    ("赵\u2066强\u2069", "姓名里有看不见的文字方向控制符（U+2066）"),
    ("赵\x00强", "姓名里有看不见的控制字符（U+0000）"),
    ("赵\ufeff强", "姓名里有看不见的零宽字符（U+FEFF）"),
    ("\u200b\u200c", "姓名只有看不见的字符（如零宽空格），没有能显示的文字"),
    ("\u3164", "姓名只有看不见的字符"),
])
async def test_a_name_with_invisible_characters_is_refused_with_the_reason(
        bot, api, admin, org, name, says):
    before = await snapshot(bot)
    await bot.send(admin, f"/登记 {name} 班子成员 某局党委")
    assert says in api.last(admin.id).plain
    await bot.send(admin, "/register")  # the guided flow says the same, and asks again
    await bot.send(admin, name)
    prompt = api.last(admin.id).plain
    assert f"⚠️ {says}" in prompt and "请输入要登记人员的姓名" in prompt
    await bot.send(admin, "/cancel")
    assert await snapshot(bot) == before


async def test_unit_names_are_refused_alike_and_stored_nfc(bot, api, admin, org):
    before = await snapshot(bot)
    await bot.send(admin, "/新建单位 审计\u200d科 某局党委")
    assert "单位名称里有看不见的零宽字符（U+200D）" in api.last(admin.id).plain
    await bot.send(admin, "/新建单位 审计科 某局\u202a党委")  # the parent is looked up alike
    assert "单位名称里有看不见的文字方向控制符（U+202A）" in api.last(admin.id).plain
    assert await snapshot(bot) == before
    await bot.send(admin, "/新建单位 Cafe\u0301科 某局党委")  # decomposed é: stored composed
    assert api.last(admin.id).plain.startswith("✅ 已新建单位“Café科”")
    assert "Café科" in await units(bot)
    await bot.send(admin, "/新建单位 分组 Café科")  # typed composed: the same unit
    assert api.last(admin.id).plain.startswith("✅ 已新建单位“分组”（部门，上级单位：Café科）")


async def test_titles_and_notes_refuse_invisible_characters(bot, api, admin, org, world):
    before = await snapshot(bot)
    await bot.send(admin, "/new")
    await bot.send(admin, "问题")
    await bot.send(admin, "公务\u2060接待")
    assert "⚠️ 标题里有看不见的零宽字符（U+2060）" in api.last(admin.id).plain
    await bot.send(admin, "\u200b \u200b")
    assert "⚠️ 标题只有看不见的字符" in api.last(admin.id).plain
    await bot.send(admin, "/cancel")
    zhou = org.users["周支书"]
    await bot.send(zhou, f"/mylist {world['a']}")
    card = api.last(zhou.id)
    await bot.send(zhou, "已核查\u202e六成", reply_to=card)
    assert "说明里有看不见的文字方向控制符（U+202E）" in api.last(zhou.id).plain
    await bot.send(zhou, "\x1b[31m", reply_to=card)
    assert "说明里有看不见的控制字符（U+001B）" in api.last(zhou.id).plain
    assert await snapshot(bot) == before
    await bot.send(zhou, "第一批已核查\n第二批<b>进行中</b> & 顺利", reply_to=card)
    assert api.last(zhou.id).plain.startswith("📝 已记入")
    await bot.send(zhou, f"/mylist {world['a']}")
    shown = api.last(zhou.id)
    assert "第二批<b>进行中</b> & 顺利" in shown.plain and "&lt;b&gt;" in shown.text


async def test_a_group_title_is_stored_without_invisible_characters(bot, api, admin, org):
    group = api.group(-5005, "项目科\u202e群\u200b")
    await bot.send(admin, "/bindgroup 单位 项目科", chat=group)
    assert api.last(group.id).plain == "✅ 本群“项目科群”已登记为“项目科”的单位群。"
    async with bot.app.bot_data.services.db.read() as tx:
        assert (await tx.groups.get(group.id)).title == "项目科群"


async def test_what_is_typed_back_is_cut_short_and_shows_nothing_invisible(bot, api, admin, org):
    await bot.send(admin, "/新建单位 审计科 " + "不存在" * 13)  # 39 characters: a name
    text = api.last(admin.id).plain
    assert "找不到单位“" + "不存在" * 9 + "不存…”" in text
    await bot.send(admin, "/新建单位 审计科 " + "不存在" * 14)  # 42: too long for a name
    assert "单位名称不能为空、不能换行，最多40字（您输入了42字）" in api.last(admin.id).plain
    await bot.send(admin, "/nosuchcommand\u202e" + "x" * 500)
    text = api.last(admin.id).plain
    assert "\u202e" not in text and "�" in text and len(text) < 120


# -- digits, dates and buttons (item 4) -----------------------------------------------------

async def test_only_ascii_digits_make_a_date(bot, api, admin, org):
    secretary = org.users["陈书记"]
    before = await snapshot(bot)
    for text in ("٣月٣日", "²月3日", "2026-11-٢٠"):
        await bot.send(secretary, f"/民主生活会 {text}")
        assert f"看不懂日期“{text}”" in api.last(secretary.id).plain
    assert await snapshot(bot) == before
    await bot.send(secretary, "/民主生活会 １１月２０日")  # full width: what an input method types
    assert api.last(secretary.id).plain.startswith("✅ 已登记 2026-11-20")


async def test_only_ascii_digits_make_a_setting(bot, api, admin, org):
    before = await snapshot(bot)
    for line in ("提前 ٣,١", "时间 ٩:٠٠", "逾期 1,3,⁷"):
        await bot.send(admin, f"/提醒设置 {line}")
        assert api.last(admin.id).plain.startswith("没有修改：")
    assert await snapshot(bot) == before
    await bot.send(admin, "/提醒设置 提前 ５，１")
    assert "T-5、T-1" in api.last(admin.id).plain


async def test_a_forged_button_with_other_digits_is_stale(bot, api, org, world):
    """`it:go:٣:d` once moved item 3 (int('٣') == 3); now it is a stale button."""
    zhou = org.users["周支书"]
    await bot.send(zhou, f"/mylist {world['a']}")
    card = api.last(zhou.id)
    (data,) = [d for label, d in card.buttons if label == "进行中"]
    item_id = data.split(":")[2]
    arabic = "".join(chr(0x660 + int(d)) for d in item_id)
    before = await snapshot(bot)
    for forged in (f"it:go:{arabic}:c", f"it:go:{item_id}", f"it:go:0{item_id}:c",
                   f"it:go:{item_id}:c:x", f"it:go:{item_id}:l٠", "f:abc:٠"):
        await bot.press_data(zhou, card, forged)
        assert api.callback_answers[-1].text == STALE, forged
    assert await snapshot(bot) == before and card.edits == 0
    await bot.press_data(zhou, card, data)  # the real one still works
    assert api.callback_answers[-1].text.endswith("已标记为“进行中”")


async def test_a_flow_button_with_other_digits_is_stale(bot, api, admin, org):
    await bot.send(admin, "/new")
    prompt = api.last(admin.id)
    nonce = prompt.buttons[0][1].split(":")[1]
    for forged in (f"f:{nonce}:٠", f"f:{nonce}:00", f"f:{nonce}:+0", f"f:{nonce}:0:0"):
        await bot.press_data(admin, prompt, forged)
        assert api.callback_answers[-1].text == STALE
    await bot.press_data(admin, prompt, f"f:{nonce}:0")
    assert "标题" in api.last(admin.id).plain


async def test_one_date_grammar_in_help_prompts_and_readme(bot, api, admin, org):
    await bot.send(org.users["李明"], "/帮助")
    help_text = api.last(org.users["李明"].id).plain
    readme = re.search(r"\*\*Dates\*\*(.*?)\n\n", README.read_text(encoding="utf-8"), re.S)
    await bot.send(admin, "/new")
    await bot.send(admin, "问题")
    await bot.send(admin, "一个问题")
    await bot.send(admin, "主体责任")
    await bot.send(admin, "陈书记")
    await bot.send(admin, "某局党委")
    await bot.send(admin, "跳过")
    due_prompt = api.last(admin.id).plain
    for example in DUE_EXAMPLES:
        assert example in help_text
        assert f"`{example}`" in readme.group(1)
    for example in PROMPT_EXAMPLES:  # every date prompt shows these
        assert example in help_text and example in DATE_EXAMPLE and example in due_prompt
        assert f"`{example}`" in readme.group(1)
    for word in RELATIVE_DAYS:
        assert f"`{word}`" in readme.group(1)
    assert all(word in help_text for word in ("今天", "昨天", "前天"))


async def test_visible_markup_in_a_name_is_kept_and_shown_escaped(bot, api, admin, org):
    await bot.send(admin, "/登记 <i>赵强</i>&amp; 班子成员 某局党委")
    done = api.last(admin.id)
    assert "姓名：<i>赵强</i>&amp;" in done.plain
    assert "&lt;i&gt;赵强&lt;/i&gt;&amp;amp;" in done.text


@pytest.mark.parametrize(("typed", "due"), [
    ("2027-01-31", "2027-01-31"), ("2027/1/31", "2027-01-31"), ("1月31日", "2027-01-31"),
    ("下周五", "2026-12-11"),  # asked on Thursday 3 December 2026
])
async def test_a_guided_due_date_in_every_documented_form(bot, api, admin, org, clock,
                                                         typed, due):
    from datetime import date

    from tests.travel import at

    clock.set(at(date(2026, 12, 3)))
    for step in ("/new", "问题", "一个问题", "主体责任", "陈书记", "某局党委", "跳过"):
        await bot.send(admin, step)
    prompt = api.last(admin.id).plain
    assert "例如 2027-01-31、2027/1/31、1月31日 或 下周五" in prompt
    before = await snapshot(bot)
    await bot.send(admin, "下下周五")  # not in the grammar: one line naming the field
    refused = api.last(admin.id).plain
    assert "下下周五" in refused and "例如 2027-01-31" in refused
    assert await snapshot(bot) == before
    await bot.send(admin, typed)
    assert due in api.last(admin.id).plain
