"""Issue 22 §7: wording follows the source texts. The supervising body's name is one
setting used in every text (纪委 / 纪工委 / 派驻纪检监察组 / 纪检组); the talk kinds are one
list (约谈 → 工作约谈); 下级党组织书记 is the general role; 督办 is the upward step;
the 履责指数 is named for what it is."""

from __future__ import annotations

import io
import re
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from bot.config import load_settings
from bot.domain.bodies import BODIES, UnknownBody, body_named
from bot.domain.ledger import PERFORMANCE
from bot.domain.model import GroupKind, Role
from bot.domain.vocabulary import GROUP_KIND_NAMES, ROLE_NAMES, parse_term
from bot.domain.workbook import HELP
from bot.rules import RulesError, load_rules
from messages import names
from messages.common import help_body
from messages.imports import template_help
from messages.refusals import refusal
from storage.db import Database
from tests.conftest import ADMIN_ID, DISCIPLINE_GROUP, snapshot
from tests.test_channels import build_to
from tests.travel import at

SPEC_KINDS = ("廉政谈话", "逐级约谈", "谈心谈话", "工作约谈", "提醒谈话", "履职约谈", "诫勉谈话",
              "任前谈话")


def others(text: str) -> str:
    """The text without the 上级纪委 (the body above, to whom reports go: another
    organisation's 纪委, whatever this one's is called)."""
    return text.replace("上级纪委", "")


def rules_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the setting ----------------------------------------------------------------------------


def test_the_four_bodies_and_their_words():
    assert {w: (b.body, b.head, b.member, b.group) for w, b in BODIES.items()} == {
        "纪委": ("纪委", "纪委书记", "纪委委员", "纪委群"),
        "纪工委": ("纪工委", "纪工委书记", "纪工委委员", "纪工委群"),
        "派驻纪检监察组": ("派驻纪检监察组", "纪检监察组组长", "纪检监察组成员", "派驻纪检监察组群"),
        "纪检组": ("纪检组", "纪检组组长", "纪检组成员", "纪检组群"),
    }
    with pytest.raises(UnknownBody, match="只能是 纪委、纪工委、派驻纪检监察组、纪检组 之一"):
        body_named("监察室")


def test_the_default_rules_name_the_body_纪委_and_list_the_talk_kinds():
    rules = load_rules()
    assert rules.body == BODIES["纪委"]
    assert rules.talk_kinds == SPEC_KINDS
    assert "提醒告诫" not in rules.talk_kinds and "责令纠错" not in rules.talk_kinds


def test_a_rules_file_names_the_body(tmp_path):
    rules = load_rules(rules_file(tmp_path, '[names]\nsupervisor = "派驻纪检监察组"\n'))
    assert rules.body.head == "纪检监察组组长"
    assert rules.talk_kinds == SPEC_KINDS  # the rest stays the default


@pytest.mark.parametrize(("text", "expected"), [
    ('[names]\nsupervisor = "监察室"\n',
     "第 2 行 names.supervisor：监督机构名称只能是 纪委、纪工委、派驻纪检监察组、纪检组 之一，"
     "现在写的是“监察室”"),
    ('[names]\nsupervisor = 3\n', "第 2 行 names.supervisor：应为加引号的文字"),
    ('[names]\nsupervisr = "纪委"\n', "第 2 行 names.supervisr：没有这个设置项，是不是"),
    ('[talks]\nkinds = []\n', "第 2 行 talks.kinds：须至少列出一种谈话类型"),
    ('[talks]\nkinds = ["廉政谈话", "廉政谈话"]\n', "第 2 行 talks.kinds：谈话类型“廉政谈话”重复列出"),
    ('[talks]\nkinds = ["廉政谈话", "谈话谈话谈话谈话谈话谈话谈话"]\n', "最多12字"),
    ('[talks]\nkinds = ["廉政谈话", "  "]\n', "第 2 行 talks.kinds[2]：不能为空"),
])
def test_a_bad_setting_stops_start_up_in_one_line(tmp_path, text, expected):
    with pytest.raises(RulesError) as caught:
        load_rules(rules_file(tmp_path, text))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_console_refuses_a_body_outside_the_four(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUTYBOT_DB_PATH", str(tmp_path / "bot.db"))
    monkeypatch.setenv("DUTYBOT_RULES", str(rules_file(tmp_path, '[names]\nsupervisor = "纪检委"\n')))
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "names.supervisor：监督机构名称只能是" in err and "“纪检委”" in err
    assert not (tmp_path / "bot.db").exists()


def test_role_and_group_words_follow_the_setting_and_input_takes_every_body(body_names):
    assert ROLE_NAMES[Role.DISCIPLINE_SECRETARY] == "纪委书记"
    body_names("纪工委")
    assert ROLE_NAMES[Role.DISCIPLINE_SECRETARY] == "纪工委书记"
    assert ROLE_NAMES[Role.DISCIPLINE] == "纪工委委员"
    assert ROLE_NAMES[Role.BRANCH_SECRETARY] == "下级党组织书记"
    assert GROUP_KIND_NAMES[GroupKind.DISCIPLINE] == "纪工委群"
    for word, role in (("纪工委书记", Role.DISCIPLINE_SECRETARY), ("纪委书记", Role.DISCIPLINE_SECRETARY),
                       ("纪检组组长", Role.DISCIPLINE_SECRETARY), ("纪委委员", Role.DISCIPLINE),
                       ("纪检监察组成员", Role.DISCIPLINE), ("支部书记", Role.BRANCH_SECRETARY),
                       ("党支部书记", Role.BRANCH_SECRETARY)):
        assert parse_term(word, ROLE_NAMES) is role, word
    for word in ("纪委", "纪工委", "纪委群", "纪工委群"):
        assert parse_term(word, GROUP_KIND_NAMES) is GroupKind.DISCIPLINE, word
    assert names.say("提请{纪委}督办，{纪委书记}阅") == "提请纪工委督办，纪工委书记阅"


def test_help_refusals_and_the_template_say_the_configured_body(body_names):
    from bot.services import errors as e

    body_names("纪检组")
    everything = frozenset(Role)
    shown = [help_body(everything), refusal(e.NotAllowed("weekly")),
             refusal(e.WrongChat("weekly")), refusal(e.UsageError("register")),
             refusal(e.UnknownRole("甲")),
             "\n".join(" ".join(map(str, row)) for row in template_help())]
    for text in shown:
        assert "纪委" not in others(text), text
    assert "纪检组周报" in shown[0] and "周报只提供给纪检组和党委书记。" in shown[1]
    assert "纪检组群" in shown[2]
    assert "纪检组组长、纪检组成员、下级党组织书记" in shown[3]
    assert "纪检组组长" in shown[4] and "支部书记" not in shown[4].replace("下级党组织书记", "")
    assert "纪检组监督" in shown[5]  # the 来源 examples


def test_with_the_default_the_texts_are_as_before():
    from bot.services import errors as e

    assert refusal(e.NotAllowed("weekly")) == "⛔ 周报只提供给纪委和党委书记。"
    assert "/周报（/weekly）— 纪委周报" in help_body(frozenset({Role.DISCIPLINE_SECRETARY}))
    from messages.commands import menu

    assert [d for _, d in menu() if "{" in d or "}" in d] == []  # every template is filled


# -- what users see, end to end, with 纪工委 configured ---------------------------------------


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rules = rules_file(tmp_path, '[names]\nsupervisor = "纪工委"\n')
    return load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db", DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                         TELEGRAM_API_BASE_URL="https://api.telegram.org", DUTYBOT_RULES=rules)


class Office:
    """A small 局党委 whose supervising body is a 纪工委, registered with the old words."""

    def __init__(self, bot, api, admin) -> None:
        self.bot, self.api, self.admin = bot, api, admin
        self.users = {}

    async def build(self):
        for line in ("/newunit 某局党委", "/newunit 财务科 某局党委",
                     "/newunit 财务科党支部 财务科 党支部", "/newunit 局机关监督室 某局党委 二级党组织"):
            await self.bot.send(self.admin, line)
        await self.person(10, "陈书记", "/登记 陈书记 党委书记 某局党委")
        await self.person(13, "刘强", "/登记 刘强 纪委书记 局机关监督室")  # the old word still reads
        await self.person(14, "周支书", "/登记 周支书 支部书记 财务科党支部")
        return self

    async def person(self, user_id: int, name: str, line: str):
        from bot.fake_telegram import invite_code

        await self.bot.send(self.admin, line)
        code = invite_code(self.api.last(self.admin.id).plain)
        user = self.api.user(user_id, name)
        self.users[name] = user
        await self.bot.send(user, f"/start {code}")
        return user


@pytest.fixture
async def office(bot, api, admin):
    return await Office(bot, api, admin).build()


async def test_the_screens_say_纪工委_and_never_纪委(bot, api, admin, office, clock):
    liu, zhou = office.users["刘强"], office.users["周支书"]
    bound = api.bot_messages(liu.id)[-1].plain
    assert "身份：纪工委书记" in bound and "纪工委周报" in bound
    assert "身份：下级党组织书记" in api.bot_messages(zhou.id)[-1].plain
    # a title typed with 纪委 in it stays as typed
    await bot.send(admin, "/新建")
    for answer in ("措施", "配合市纪委开展专项检查", "一岗双责", "周支书", "财务科党支部", "跳过",
                   "跳过", "2026-11-27"):
        await bot.send(admin, answer)
    await bot.press(admin, api.last(admin.id), "确认创建")
    assert "配合市纪委开展专项检查" in api.last(admin.id).plain
    group = api.group(DISCIPLINE_GROUP, "纪工委工作群")
    await bot.send(admin, "/bindgroup 纪委", chat=group)  # the old word binds it too
    assert "已登记为纪工委群" in api.last(DISCIPLINE_GROUP).plain

    screens = {}
    await bot.send(liu, "/帮助")
    screens["help"] = api.last(liu.id).plain
    await bot.send(zhou, "/周报")
    screens["refusal"] = api.last(zhou.id).plain
    await bot.send(admin, "/提醒设置")
    screens["settings"] = api.last(admin.id).plain
    clock.set(at(date(2026, 11, 20)))  # T-7 of the item: the owner's digest
    await bot.tick()
    screens["digest"] = api.last(zhou.id).plain
    clock.set(at(date(2026, 12, 8)))  # T+7 workdays and more: the group is asked to 督办
    await bot.tick()
    screens["group"] = "\n".join(m.plain for m in api.bot_messages(DISCIPLINE_GROUP))
    await bot.send(liu, "/周报")
    weekly = next(m for m in reversed(api.bot_messages(liu.id)) if "四责协同周报" in m.plain)
    screens["weekly"] = weekly.plain
    await bot.press(liu, weekly, weekly.buttons[0][0])  # the details, one tap away
    screens["details"] = api.last(liu.id).plain
    for name, text in screens.items():
        assert "纪委" not in others(text).replace("配合市纪委开展专项检查", ""), (name, text)
    assert "纪工委周报" in screens["help"]
    assert screens["refusal"] == "⛔ 周报只提供给纪工委和党委书记。"
    assert "纪工委群" in screens["settings"] and "逾期督办" in screens["settings"]
    assert "配合市纪委开展专项检查" in screens["digest"]
    assert "提请纪工委督办" in screens["group"]
    assert "/导出" in screens["weekly"]
    assert "（/export，纪工委和管理员可用）" in screens["details"]
    assert "十、按期完成与提醒响应" in screens["details"] and "履责指数" not in screens["details"]

    # the 台账, written in a child process: its words are the configured body's too
    await bot.send(liu, "/export")
    book = openpyxl.load_workbook(io.BytesIO(api.last(liu.id).file))
    assert PERFORMANCE == "完成与响应" and PERFORMANCE in book.sheetnames
    assert "履责指数" not in book.sheetnames
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None]
    assert not [c for c in cells if "纪委" in others(c) and "配合市纪委开展专项检查" not in c]
    assert "2026年度纪工委监督责任报告（双报告）" in cells  # {纪委} in a rule's title
    help_text = "\n".join(c for row in book[HELP].iter_rows(values_only=True) for c in row
                          if isinstance(c, str))
    assert "纪工委交办的整改" in help_text and "按时完成率×70% + 提醒回应率×30%" in help_text
    people = {r[0]: r[1] for r in book["人员"].iter_rows(min_row=2, values_only=True)}
    assert people["刘强"] == "纪工委书记" and people["周支书"] == "下级党组织书记"


# -- talk kinds -----------------------------------------------------------------------------


async def test_talk_kinds_are_the_one_list(bot, api, org):
    ji = org.users["刘纪委"]
    await bot.send(ji, "/约谈")
    await bot.press(ji, api.last(ji.id), "安排约谈")
    await bot.send(ji, "周支书")
    kinds = [label for label, _ in api.last(ji.id).buttons if label in SPEC_KINDS or "约谈" in label]
    assert tuple(kinds) == SPEC_KINDS
    before = await snapshot(bot)
    await bot.send(ji, "约谈")  # the old kind is no longer one
    assert "“约谈”不在可选范围内" in api.last(ji.id).plain
    await bot.send(ji, "提醒告诫")  # an outcome, not a kind
    assert "“提醒告诫”不在可选范围内" in api.last(ji.id).plain
    assert await snapshot(bot) == before
    await bot.press(ji, api.last(ji.id), "工作约谈")
    await bot.send(ji, "2026-12-10")
    assert "工作约谈：周支书" in api.last(ji.id).plain


async def test_a_required_逐级约谈_is_recorded_as_one(bot, api, org, clock):
    chen = org.users["陈书记"]
    clock.set(at(date(2026, 12, 1)))
    await bot.tick()  # the rules' talks become items
    await bot.send(chen, "/约谈")
    talks = api.last(chen.id)
    label = next(b for b, _ in talks.buttons if b.startswith("登记谈话")
                 and "逐级约谈" in talks.plain.split(b.split()[-1])[1].split("\n")[0])
    await bot.press(chen, talks, label)
    await bot.send(chen, "11月30日")
    prompt = api.last(chen.id)
    assert [b for b, _ in prompt.buttons][:len(SPEC_KINDS)][0] == "逐级约谈"
    await bot.press(chen, prompt, "逐级约谈")
    await bot.send(chen, "传导压力，提出要求")
    assert "的逐级约谈" in api.last(chen.id).plain
    async with bot.app.bot_data.services.db.read() as tx:
        held = await tx.talks.held(date(2026, 1, 1), date(2026, 12, 31))
    assert [t.kind for t in held] == ["逐级约谈"]


async def test_the_talk_kinds_migration_makes_约谈_工作约谈(tmp_path):
    path = tmp_path / "old.db"
    build_to(path, 8)
    now = "2026-11-20T09:00:00+08:00"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("INSERT INTO units (id, name, kind, created_at) VALUES (1, '某局党委', "
                     "'committee', ?)", (now,))
        for pid, name in ((1, "刘纪委"), (2, "周支书")):
            conn.execute("INSERT INTO persons (id, name, unit_id, created_at) VALUES (?, ?, 1, ?)",
                         (pid, name, now))
        items = ((1, "L0001", "约谈：周支书", None), (2, "L0002", "2026年逐级约谈：周支书", "cascade_talk"),
                 (3, "L0003", "提醒谈话：周支书", None))
        for iid, code, title, rule in items:
            conn.execute(
                "INSERT INTO items (id, code, kind, title, duty, owner_id, unit_id, due_date, "
                "status, created_at, updated_at, rule_key, counterpart_id, period) VALUES "
                "(?, ?, 'obligation', ?, 'supervision', 1, 1, '2026-12-10', 'open', ?, ?, ?, 2, "
                "'2026')", (iid, code, title, now, now, rule))
        conn.execute("INSERT INTO items (id, code, kind, title, duty, owner_id, unit_id, "
                     "due_date, status, created_at, updated_at) VALUES (4, 'W0004', 'problem', "
                     "'约谈：落实情况', 'principal', 1, 1, '2026-12-10', 'open', ?, ?)", (now, now))
        talks = ((1, None, "约谈"), (2, None, "廉政谈话"), (3, None, "诫勉谈话"), (4, 3, "提醒谈话"),
                 (5, 2, "约谈"), (6, 1, "约谈"))  # 5 closed the rule's 逐级约谈, 6 an ad-hoc one
        for tid, item, kind in talks:
            conn.execute("INSERT INTO talks (id, item_id, holder_id, counterpart_id, kind, held_on, "
                         "recorded_at) VALUES (?, ?, 1, 2, ?, '2026-11-19', ?)",
                         (tid, item, kind, now))
    db = await Database.open(path)
    try:
        assert 13 in await db.migrate()
        async with db.read() as tx:
            held = await tx.talks.held(date(2026, 1, 1), date(2026, 12, 31))
    finally:
        await db.close()
    assert {t.id: t.kind for t in held} == {1: "工作约谈", 2: "廉政谈话", 3: "诫勉谈话",
                                            4: "提醒谈话", 5: "逐级约谈", 6: "工作约谈"}
    with closing(sqlite3.connect(path)) as conn:
        titles = dict(conn.execute("SELECT code, title FROM items").fetchall())
    assert titles == {"L0001": "工作约谈：周支书", "L0002": "2026年逐级约谈：周支书",
                      "L0003": "提醒谈话：周支书", "W0004": "约谈：落实情况"}  # a typed title stays


# -- the rules file's defaults ---------------------------------------------------------------


def test_the_rules_file_marks_what_the_source_texts_do_not_give():
    from importlib.resources import files

    text = (files("bot") / "default_rules.toml").read_text(encoding="utf-8")
    assert "压力传导）" not in text and "逾期督办" in text
    marked = "（默认值，源文件未规定）"
    said = dict((key, comment) for comment, key in re.findall(
        r"(#[^\n]*(?:\n#[^\n]*)*)\n\[\[obligation\]\]\nkey = \"(\w+)\"", text))
    for key in ("accountability_statement", "written_accountability_statement",
                "annual_work_plan", "annual_lists_members"):
        assert marked in said[key], key  # their dates are ours
    for key in ("annual_principal_report", "annual_supervision_report", "cascade_talk",
                "accountability_quarterly", "typical_cases_bimonthly",
                "democratic_life_meeting_report", "integrity_talk_secretary"):
        assert marked not in said[key], key  # the source texts give these
    for key in ("lead_days", "send_time", "quiet_hours", "owner_after_days", "review_days"):
        line = next(n for n, ln in enumerate(text.splitlines()) if ln.startswith(f"{key} ="))
        assert marked in "\n".join(text.splitlines()[max(0, line - 3):line + 1]), key
    assert text.count(marked) >= 9
    assert "下级党组织书记" in text and "、支部书记" not in text
