"""A bot to throw arbitrary input at, for the property tests (tests/test_property_inputs.py).

Hypothesis runs each example synchronously, so the bot lives on an `asyncio.Runner` of its
own, built once per test function; each example is one `runner.run(...)` on that loop.
Only the driver's public API is used (`bot.send`, `bot.press_data`, `bot.upload`, `api.…`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from bot.fake_telegram import FakeTelegram, User
from bot.fake_telegram.driver import BotDriver, driven_bot
from messages.common import internal_error
from tests.conftest import DISCIPLINE_GROUP, Org

#: What the bot knows about the world. A refusal changes none of these; the bookkeeping
#: (processed update ids, the outbox, an inbox) is left out on purpose.
DOMAIN_TABLES = (
    "units", "persons", "person_roles", "person_oversight", "invites", "groups", "items",
    "events", "extension_requests", "talks", "reminders", "policy_overrides", "triggers",
    "plan_runs", "summary_runs", "response_tallies", "delegations",
)
CONVERSATIONS = "conversations"
UNIT_GROUP = -2002
STRAY_GROUP = -4004


class ErrorLog(logging.Handler):
    """Every ERROR record from any logger: the error handler's "error while handling"."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def describe(self) -> str:
        lines = []
        for r in self.records:
            text = r.getMessage()
            if r.exc_info and r.exc_info[1] is not None:
                text += f": {r.exc_info[1]!r}"
            lines.append(text)
        return "; ".join(lines)


@dataclass
class Fuzzed:
    """A bot with a small 局党委 (tests/conftest.py's Org), items, a 纪委 group and a
    unit group, on a loop of its own."""

    settings: object
    api: FakeTelegram
    admin: User
    clock: object
    runner: asyncio.Runner = field(default_factory=asyncio.Runner)
    errors: ErrorLog = field(default_factory=ErrorLog)

    def __post_init__(self) -> None:
        self._context = None
        self.bot: BotDriver | None = None
        self.org: Org | None = None
        self.codes: dict[str, str] = {}

    def run(self, coro):
        return self.runner.run(coro)

    def open(self) -> Fuzzed:
        logging.getLogger().addHandler(self.errors)
        self.run(self._open())
        return self

    async def _open(self) -> None:
        self._context = driven_bot(self.settings, self.api, self.clock)
        self.bot = await self._context.__aenter__()
        self.org = await Org(self.bot, self.api, self.admin).build()
        self.discipline_group = self.api.group(DISCIPLINE_GROUP, "局纪委工作群")
        await self.bot.send(self.admin, "/bindgroup 纪委", chat=self.discipline_group)
        self.unit_group = self.api.group(UNIT_GROUP, "财务科工作群")
        await self.bot.send(self.admin, "/bindgroup 单位 财务科", chat=self.unit_group)
        # nobody bound it, and privacy mode is off there: the bot sees everything said
        self.stray_group = self.api.group(STRAY_GROUP, "闲聊群", privacy=False)
        self.codes["measure"] = await self.org.item(
            "措施", "逐笔核查公务接待报销凭证", "一岗双责", "周支书", "财务科党支部", "2026-11-27")
        self.codes["responsibility"] = await self.org.item(
            "责任", "建立在建工程廉政风险点台账", "一岗双责", "王芳", "项目科", "2026-12-02")
        self.codes["talk_owner"] = await self.org.item(
            "措施", "与财务科负责人开展廉政谈话", "一岗双责", "刘纪委", "局纪委", "2026-12-10")

    def close(self) -> None:
        try:
            if self._context is not None:
                self.run(self._context.__aexit__(None, None, None))
        finally:
            self.runner.close()
            logging.getLogger().removeHandler(self.errors)

    def user(self, name: str) -> User:
        return self.org.users[name]

    # -- what the bot did -----------------------------------------------------------------

    def snapshot(self, conversations: bool = True) -> dict[str, str]:
        """A digest of every domain table (and of the flows half-way, if asked)."""
        tables = DOMAIN_TABLES + ((CONVERSATIONS,) if conversations else ())
        path = Path(self.settings.db_path)
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            digests = {}
            for table in tables:
                rows = sorted(map(repr, connection.execute(f"SELECT * FROM {table}")))
                digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            return digests
        finally:
            connection.close()

    def sent_to(self, chat_id: int) -> int:
        return len(self.api.bot_messages(chat_id))

    def toasts(self) -> int:
        return len(self.api.callback_answers)

    @contextmanager
    def watching(self) -> Iterator[None]:
        """No error reaches the error handler, and nobody is told 'internal error'."""
        before = len(self.errors.records)
        toasts = self.toasts()
        yield
        new = self.errors.records[before:]
        assert not new, f"an error reached the error handler: {self.errors.describe()}"
        apology = internal_error()
        assert all(a.text != apology for a in self.api.callback_answers[toasts:])


# -- strategies ---------------------------------------------------------------------------

#: Anything Telegram can carry in a text: every code point but the surrogates.
ANY_CHAR = st.characters(exclude_categories=("Cs",))

#: Pieces that sit near the edges of the grammars: other scripts' digits, superscripts,
#: full-width forms, separators, invisible and bidi characters, names the bot knows.
TRICKY = (
    "2026", "12", "5", "05", "٣", "²", "۵", "１２", "２０２６", "①", "𝟙", "-", "/", ".", "－",
    "／", "．", "年", "月", "日", " ", "\u3000", "\t", "\n", "\x00", "\x1b", "\u200b",
    "\u200d", "\ufeff", "\u202e", "\u2066", "\u2060", "\u00ad", "今天", "昨天", "前天", "明天",
    "跳过", "skip", "无", "@", ":", "：", "、", ",", "分管", "分管:", "李明", "王芳", "周支书",
    "财务科", "某局党委", "项目科", "党委书记", "班子成员", "管理员", "纪委", "单位", "问题",
    "措施", "责任", "W0001", "C0001", "Z0001", "c0001", "<b>", "&amp;", "</code>", "9" * 30,
)

TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=30),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(ANY_CHAR, max_size=3)),
             max_size=8).map("".join),
    st.text(ANY_CHAR, min_size=300, max_size=4096),  # Telegram carries up to 4096
)


# -- guided flows, each brought to each of its steps ----------------------------------------

ZHOU, LIU = "周支书", "刘纪委"
_FLOW_NAMES = {"rectification": "new_item"}  # a 整改 is new_item's other branch
BIND_GROUP = -3003


@dataclass(frozen=True)
class FlowStep:
    """Step `step` of flow `flow`: how to start it, and the typed answers that lead there."""

    flow: str
    step: str
    who: str  # "admin" or a name in the Org
    path: tuple[str, ...]
    where: str = "private"  # or "bind": a group of its own (privacy mode off)


def _walk(flow: str, who: str, answers: tuple[tuple[str, str], ...],
          where: str = "private") -> list[FlowStep]:
    """One FlowStep per step: answers[i] = (step, a valid answer to it)."""
    return [FlowStep(flow, step, who, tuple(a for _, a in answers[:i]), where)
            for i, (step, _) in enumerate(answers)]


FLOW_STEPS: tuple[FlowStep, ...] = tuple([
    *_walk("register", "admin", (("name", "新人甲"), ("roles", "班子成员"),
                                 ("unit", "某局党委"), ("oversees", "财务科"))),
    *_walk("new_item", "admin", (("kind", "措施"), ("title", "核查凭证"), ("duty", "一岗双责"),
                                 ("owner", ZHOU), ("unit", "财务科党支部"), ("parent", "跳过"),
                                 ("source", "跳过"), ("due", "2026-12-20"),
                                 ("confirm", "确认创建"))),
    *_walk("rectification", LIU, (("title", "整改接待超标"), ("owner", ZHOU),
                                  ("found_by", "巡察"), ("plan_due", "2026-12-10"),
                                  ("due", "2026-12-30"), ("confirm", "确认创建"))),
    *_walk("bind_group", "admin", (("kind", "单位群"), ("unit", "财务科")), where="bind"),
    *_walk("report", ZHOU, (("item", "{code}"), ("status", "状态不变"), ("note", "进展顺利"))),
    *_walk("extension", ZHOU, (("due", "2026-12-31"), ("reason", "材料未齐"))),
    *_walk("send_back", LIU, (("reason", "方案不完整"),)),
    *_walk("note", ZHOU, (("item", "{code}"),)),
    *_walk("talk_record", LIU, (("held_on", "今天"), ("talk", "工作约谈"), ("note", "已谈"))),
    *_walk("talk_schedule", LIU, (("person", ZHOU), ("talk", "工作约谈"), ("due", "2026-12-20"))),
    *_walk("inspection_record", LIU, (("unit", "财务科党支部"), ("kind", "巡察"),
                                      ("inspected_on", "昨天"), ("point_division", "无问题"),
                                      ("point_items", "台账未核对"),
                                      ("point_coordination", "无问题"),
                                      ("point_pursuit", "无问题"))),
])


class FlowDriver:
    """Starts a flow for a FlowStep and walks it there; makes a fresh subject (an item,
    a 整改 to send back, a talk to record) whenever the last one was used up."""

    def __init__(self, world: Fuzzed) -> None:
        self.w = world
        self.subjects: dict[str, object] = {}
        # privacy off: every message reaches the bot, not only replies to it
        self.bind_group = world.api.group(BIND_GROUP, "新建工作群", privacy=False)

    def forget(self, flow: str) -> None:
        self.subjects.pop(flow, None)

    def who(self, step: FlowStep) -> User:
        return self.w.admin if step.who == "admin" else self.w.user(step.who)

    def chat(self, step: FlowStep):
        return self.bind_group if step.where == "bind" else None

    async def reach(self, step: FlowStep) -> None:
        """Start the flow and answer every step before `step`."""
        w, user, chat = self.w, self.who(step), self.chat(step)
        code = await self._start(step, user)
        for answer in step.path:
            await w.bot.send(user, answer.format(code=code), chat=chat)
        last = w.api.last(chat.id if chat else user.id).plain
        assert "发送 /取消 可随时退出" in last and "⚠️" not in last, (step, last)
        services = w.bot.app.bot_data.services  # the flow stands where this example wants it
        state = await services.flows.active(await services.people.actor_for(user.id),
                                             chat.id if chat else user.id)
        assert (state.flow, state.step) == (_FLOW_NAMES.get(step.flow, step.flow), step.step)

    async def _start(self, step: FlowStep, user: User) -> str:
        w, send = self.w, self.w.bot.send
        match step.flow:
            case "register":
                await send(user, "/登记")
            case "new_item":
                await send(user, "/新建")
            case "rectification":
                await send(user, "/整改 新建")
            case "bind_group":  # binding again: a group not yet bound reads only buttons
                if "bind_group" not in self.subjects:
                    await send(user, "/bindgroup 单位 项目科", chat=self.bind_group)
                    self.subjects["bind_group"] = "bound"
                await send(user, "/bindgroup", chat=self.bind_group)
            case "report":
                code = await self._item(step.flow)
                await send(user, "/汇报")
                return code
            case "extension":
                code = await self._item(step.flow)
                await send(user, f"/我的清单 {code}")
                await w.bot.press(user, w.api.last(user.id), "申请延期")
            case "send_back":
                plan = await self._plan_to_check()
                await send(user, "/整改 待验收")
                await w.bot.press(user, w.api.last(user.id), f"退回 {plan}")
            case "note":  # a reply to a list page with two of his items: which one?
                code = w.codes["measure"]
                await self._item("note")
                await send(user, "/我的清单")
                page = w.api.last(user.id)
                await send(user, "本周已完成一半", reply_to=page)
                return code
            case "talk_record":
                code = await self._talk()
                await send(user, "/约谈")
                await w.bot.press(user, w.api.last(user.id), f"登记谈话 {code}")
            case "talk_schedule":
                await send(user, "/约谈")
                await w.bot.press(user, w.api.last(user.id), "安排约谈")
            case "inspection_record":
                await send(user, "/监督检查 登记")
        return ""

    async def _item(self, key: str) -> str:
        """An open measure of 周支书's, for this flow alone."""
        if key not in self.subjects:
            self.subjects[key] = await self.w.org.item(
                "措施", f"核查凭证{len(self.subjects)}", "一岗双责", ZHOU, "财务科党支部",
                "2026-12-15")
        return self.subjects[key]

    async def _plan_to_check(self) -> str:
        """A 整改方案 of 周支书's, reported done, waiting for the 纪委's 验收."""
        if "send_back" not in self.subjects:
            w, liu, zhou = self.w, self.w.user(LIU), self.w.user(ZHOU)
            for answer in ("/整改 新建", "整改报销不规范", ZHOU, "巡察", "2026-12-10",
                           "2026-12-30", "确认创建"):
                await w.bot.send(liu, answer)
            plan = re.search(r"整改方案 ([A-Z][0-9]+)", w.api.last(liu.id).plain).group(1)
            await w.bot.send(zhou, f"/我的清单 {plan}")
            await w.bot.press(zhou, w.api.last(zhou.id), "已完成")
            self.subjects["send_back"] = plan
        return self.subjects["send_back"]

    async def _talk(self) -> str:
        """A talk 刘纪委 has to hold (and record)."""
        if "talk_record" not in self.subjects:
            w, liu = self.w, self.w.user(LIU)
            await w.bot.send(liu, "/约谈")
            await w.bot.press(liu, w.api.last(liu.id), "安排约谈")
            for answer in (ZHOU, "工作约谈", "2026-12-20"):
                await w.bot.send(liu, answer)
            self.subjects["talk_record"] = re.search(
                r"已安排 ([A-Z][0-9]+)", w.api.last(liu.id).plain).group(1)
        return self.subjects["talk_record"]
