"""`dutybot demo`: a believable 局党委 played through the real handlers, with no network.

Everything goes through the same Application, services and SQLite schema as production;
only the messengers are simulated: Telegram (bot/fake_telegram) and the 纪委's 企业微信
group robot (bot/fake_robots, on 127.0.0.1). The transcript shows, chat by chat, what each
person and group would see.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bot.board.screenshot import board_screenshot
from bot.clock import ManualClock
from bot.config import load_settings
from bot.domain.model import CONSOLE, Duty, ListKind
from bot.fake_robots import FakeRobots, FakeRobotServer
from bot.fake_telegram import FakeTelegram, User, invite_code
from bot.fake_telegram.driver import BotDriver, driven_bot
from bot.scheduling.robot_sender import RobotSender
from bot.services.items import ItemDraft
from messages.format import fmt_date

START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
ADMIN_ID = 1001
DISCIPLINE_GROUP = -1001
FILES = Path("demo-output")  # the chart and the 台账 the demo writes, beside the transcript
WECOM_GROUP = "纪委工作群"  # the 纪委's 企业微信 group, reached through its group robot
WECOM_KEY = "demo-0000-wecom-key"

UNITS = [
    "/新建单位 某局党委",
    "/新建单位 局办公室 某局党委 部门",
    "/新建单位 财务审计科 某局党委 部门",
    "/新建单位 项目建设科 某局党委 部门",
    "/新建单位 人事教育科 某局党委 部门",
    "/新建单位 局纪委 某局党委 二级党组织",
    "/新建单位 机关第一党支部 某局党委 党支部",
    "/新建单位 机关第二党支部 某局党委 党支部",
]

# (telegram id, 姓名, one-line registration)
PEOPLE = [
    (ADMIN_ID, "郑晓", "/登记 郑晓 管理员 局办公室"),
    (1002, "陈建国", "/登记 陈建国 党委书记 某局党委"),
    (1003, "李明", "/登记 李明 班子成员 某局党委 分管:局办公室、财务审计科"),
    (1004, "王芳", "/登记 王芳 班子成员 某局党委 分管:项目建设科"),
    (1005, "赵强", "/登记 赵强 班子成员 某局党委 分管:人事教育科"),
    (1006, "刘洋", "/登记 刘洋 纪委书记 局纪委"),
    (1008, "周涛", "/登记 周涛 支部书记 机关第一党支部"),
    (1009, "吴敏", "/登记 吴敏 支部书记 机关第二党支部"),
]
GUIDED = (1007, "孙丽")  # registered through the guided flow, with buttons
STRANGER = (1666, "路人甲")

# The three lists, drawn from real 四责协同 practice: 问题 → 责任 → 措施.
# (key, parent key, kind, title, duty, owner, unit, source, due)
ITEMS = [
    ("p1", None, ListKind.PROBLEM, "“三重一大”集体决策程序执行不严格，部分事项未经党委会集体研究",
     Duty.FIRST, "陈建国", "某局党委", "巡察", date(2027, 3, 31)),
    ("r1", "p1", ListKind.RESPONSIBILITY, "牵头规范“三重一大”事项清单和党委会议事规则",
     Duty.DUAL, "李明", "局办公室", None, date(2027, 1, 15)),
    ("m1", "r1", ListKind.MEASURE, "修订党委会议事规则，明确“三重一大”事项范围和决策程序",
     Duty.DUAL, "周涛", "局办公室", None, date(2026, 12, 10)),
    ("m2", "r1", ListKind.MEASURE, "建立决策事项会议记录归档台账，逐项登记表决情况",
     Duty.DUAL, "周涛", "局办公室", None, date(2026, 11, 30)),
    ("p2", None, ListKind.PROBLEM, "公务接待费用报销审核不严，存在超标准、超范围接待",
     Duty.PRINCIPAL, "陈建国", "财务审计科", "审计", date(2027, 2, 28)),
    ("r2", "p2", ListKind.RESPONSIBILITY, "督促财务审计科完成公务接待费用专项清理",
     Duty.DUAL, "李明", "财务审计科", None, date(2026, 12, 20)),
    ("m3", "r2", ListKind.MEASURE, "逐笔核查2025年以来公务接待报销凭证，超标准部分限期退回",
     Duty.DUAL, "吴敏", "财务审计科", None, date(2026, 11, 18)),
    ("p3", None, ListKind.PROBLEM, "工程项目招投标环节廉政风险点防控不到位",
     Duty.DUAL, "王芳", "项目建设科", "专项检查", date(2027, 4, 30)),
    ("r3", "p3", ListKind.RESPONSIBILITY, "建立在建工程项目廉政风险点台账并定期更新",
     Duty.DUAL, "王芳", "项目建设科", None, date(2026, 12, 31)),
    ("m4", "r3", ListKind.MEASURE, "对在建项目开展一次廉政风险排查，形成排查报告",
     Duty.DUAL, "王芳", "项目建设科", None, date(2026, 11, 27)),
    ("p4", None, ListKind.PROBLEM, "干部选拔任用程序个别环节不规范，动议环节记录不全",
     Duty.DUAL, "赵强", "人事教育科", "民主生活会", date(2027, 1, 31)),
    ("r4", "p4", ListKind.RESPONSIBILITY, "完善干部选拔任用全程纪实制度",
     Duty.DUAL, "赵强", "人事教育科", None, date(2026, 12, 31)),
    ("m5", None, ListKind.MEASURE, "对“三重一大”决策执行情况开展专项监督检查",
     Duty.SUPERVISION, "刘洋", "局纪委", "纪委监督", date(2026, 12, 15)),
]

class Demo:
    def __init__(self, bot: BotDriver, api: FakeTelegram, fake: FakeRobots | None = None,
                 robots: RobotSender | None = None) -> None:
        self.bot = bot
        self.api = api
        self.fake = fake  # the 企业微信 server: what the group saw
        self.robots = robots
        self.robot_seen = 0
        self.users: dict[str, User] = {}
        self.admin = api.user(ADMIN_ID, "郑晓")
        self.users["郑晓"] = self.admin

    def invite_code(self) -> str:
        return invite_code(self.api.last(ADMIN_ID).plain)

    async def setup_people(self) -> None:
        await self.bot.send(self.admin, "/start")
        await self.bot.send(self.admin, "/help")
        for line in UNITS:
            await self.bot.send(self.admin, line)
        await self.bot.send(self.admin, "/单位")
        for user_id, name, line in PEOPLE:
            await self.bot.send(self.admin, line)
            code = self.invite_code()
            user = self.users.get(name) or self.api.user(user_id, name)
            self.users[name] = user
            await self.bot.send(user, f"/start {code}")
        # one registration through the guided flow, tapping buttons
        user_id, name = GUIDED
        await self.bot.send(self.admin, "/登记")
        await self.bot.send(self.admin, name)
        await self.bot.press(self.admin, self.api.last(ADMIN_ID), "纪委委员")
        await self.bot.press(self.admin, self.api.last(ADMIN_ID), "完成")
        await self.bot.press(self.admin, self.api.last(ADMIN_ID), "局纪委")
        code = self.invite_code()
        self.users[name] = self.api.user(user_id, name)
        await self.bot.send(self.users[name], f"/start {code}")

    async def seed_lists(self) -> None:
        """Last year's lists, as the office would bring them in (issue 6 adds Excel)."""
        services = self.bot.app.bot_data.services
        admin = await services.people.actor_for(ADMIN_ID)
        codes: dict[str, str] = {}
        for key, parent, kind, title, duty, owner, unit, source, due in ITEMS:
            view = await services.items.create(admin, ItemDraft(
                kind=kind, title=title, duty=duty, owner=owner, unit=unit, due_date=due,
                parent_code=codes.get(parent) if parent else None, source=source,
            ))
            codes[key] = view.item.code
        self.codes = codes

    async def play(self) -> None:
        admin, api = self.admin, self.api
        # the 纪委 creates a measure through the guided flow
        liu = self.users["刘洋"]
        await self.bot.send(liu, "/新建")
        await self.bot.press(liu, api.last(liu.id), "措施")
        await self.bot.send(liu, "对财务审计科公务接待整改情况开展跟踪督查")
        for label in ("监督责任", "孙丽", "局纪委", self.codes["r2"], "纪委监督"):
            await self.bot.press(liu, api.last(liu.id), label)
        await self.bot.send(liu, "12月5日")
        await self.bot.press(liu, api.last(liu.id), "确认创建")

        li = self.users["李明"]
        await self.bot.send(li, "/我的清单")
        await self.bot.send(li, "/待办")
        chen = self.users["陈建国"]
        await self.bot.send(chen, "/mylist")
        await self.bot.press(chen, api.last(chen.id), "下一页")
        await self.bot.send(self.users["周涛"], "/todo")
        await self.bot.send(self.users["孙丽"], "/我的清单")

        # what goes wrong, and what people are told
        stranger = api.user(*STRANGER)
        await self.bot.send(stranger, "/我的清单")
        await self.bot.send(stranger, "/start 过期或伪造的邀请码")
        await self.bot.send(stranger, "/帮助")
        await self.bot.send(li, "/登记 钱七 班子成员 某局党委")
        await self.bot.send(li, "/统计")
        await self.bot.send(admin, "/登记 钱七 班子成员 不存在的科室")

        # the 纪委 group: unregistered first, then bound by the admin with a button
        group = api.group(DISCIPLINE_GROUP, "局纪委工作群")
        await self.bot.send(self.users["孙丽"], "/mylist", chat=group)
        await self.bot.send(admin, "/bindgroup", chat=group)
        prompt = api.last(group.id)
        await self.bot.press(self.users["孙丽"], prompt, "纪委群")
        await self.bot.press(admin, prompt, "纪委群")
        await self.bot.send(self.users["刘洋"], "/todo", chat=group)
        await self.case()

    async def case(self) -> None:
        """The 纪委 records a 违纪违法 case in private: 一案双查 opens the 倒查 of the
        branch's 主体责任 and of its own 监督责任. The 书记, examined, does not see it."""
        liu, api = self.users["刘洋"], self.api
        await self.bot.send(liu, "/问责 登记")
        await self.bot.send(liu, "吴敏")
        await self.bot.send(liu, "4")
        await self.bot.press(liu, api.last(liu.id), "是，违纪违法（一案双查）")
        await self.bot.press(liu, api.last(liu.id), "诫勉")
        await self.bot.send(liu, "对公务接待超标准报销问题未及时查处，压案不查")
        await self.bot.send(self.users["陈建国"], "/问责")

    async def fortnight(self, clock: ManualClock) -> list[str]:
        """Two weeks pass: each day at 09:00 the bot plans and sends. Returns a log of the
        pushes each person and group received, day by day."""
        chen, zhou = self.users["陈建国"], self.users["周涛"]
        await self.bot.send(chen, "/民主生活会 11月20日")  # its report is due in 7 days
        await self.bot.send(self.admin, "/提醒设置")
        log: list[str] = []
        for offset in range(FORTNIGHT_DAYS):
            day = START.date() + timedelta(days=offset)
            log += await self.day(clock, day)
            if offset == 1:  # 周涛 confirms the first reminder he got, with one tap
                digest = next(m for m in self.api.bot_messages(zhou.id) if "今日提醒" in m.plain)
                await self.bot.press(zhou, digest, "收到")
                await self.bot.press(zhou, digest, "进行中")
                await self.bot.send(zhou, "已完成初稿，正在征求意见", reply_to=digest)
            if offset == 2:
                await self.rectification()
        await self.bot.send(chen, "/待办")  # what is still open after two weeks
        return log

    async def day(self, clock: ManualClock, day: date) -> list[str]:
        """One day at 09:00: the bot plans and sends; a line per push, chat by chat."""
        seen = {chat: len(self.api.bot_messages(chat)) for chat in self.api.messages}
        clock.set(datetime.combine(day, START.timetz()))
        await self.bot.tick()
        pushes = await self.robot_pushes()
        for chat_id in list(self.api.messages):
            fresh = self.api.bot_messages(chat_id)[seen.get(chat_id, 0):]
            pushes += [f"　📨 {self._chat_name(chat_id)}：{_summary(m.plain)}" for m in fresh]
        return [fmt_date(day) + ("" if pushes else QUIET_DAY), *pushes]

    async def quarter_end(self, clock: ManualClock, folder: Path) -> tuple[list[str], list[Path]]:
        """A week before the quarter's 责任追究情况报告 (and the bimonthly 典型案例通报) fall
        due, the 纪委书记 gets each drafted from the 问责 register, in private, with its
        workbook; the case recorded earlier is in it, marked 典型案例."""
        liu = self.users["刘洋"]
        await self.bot.send(liu, "/问责 典型 A0001")
        log = await self.day(clock, QUARTER_DRAFT_DAY)
        await self.bot.sender.drain()
        written = []
        for m in self.api.bot_messages(liu.id):
            if m.file is not None and m.file_name and "草稿" in m.file_name:
                folder.mkdir(parents=True, exist_ok=True)
                written.append(folder / m.file_name)
                written[-1].write_bytes(m.file)
        return log, written

    async def rectification(self) -> None:
        """The 纪委 sets 李明 a 整改 found by 巡察; he reports its plan done; the 纪委 销号 it."""
        liu, li = self.users["刘洋"], self.users["李明"]
        await self.bot.send(liu, "/整改 新建")
        for answer in ("公务用车管理不规范问题整改", "李明", "巡察", "12月4日", "12月31日"):
            await self.bot.send(liu, answer)
        await self.bot.press(liu, self.api.last(liu.id), "确认创建")
        await self.bot.sender.drain()
        await self.bot.press(li, self.api.last(li.id), "已完成")  # the 整改方案
        await self.bot.sender.drain()
        await self.bot.press(liu, self.api.last(liu.id), "销号")
        await self.bot.sender.drain()
        await self.bot.send(li, "/整改")

    async def weekly(self, folder: Path) -> list[Path]:
        """The end of the story: the 纪委 asks for this week's picture in its group, then
        for the 台账; the chart and the workbook are written to files, for a look at what
        the group gets."""
        group = self.api.chats[DISCIPLINE_GROUP]
        await self.bot.send(self.users["刘洋"], "/weekly", chat=group)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        chart = next((m for m in reversed(self.api.bot_messages(group.id)) if m.photo), None)
        if chart is not None:  # no CJK font on this machine: the text came alone
            written.append(folder / "周报图表.png")
            written[-1].write_bytes(chart.photo)
        # and the whole 台账, as /导出 sends it
        await self.bot.send(self.users["刘洋"], "/export", chat=group)
        ledger = self.api.last(group.id)
        if ledger.file is not None:
            written.append(folder / (ledger.file_name or "台账.xlsx"))
            written[-1].write_bytes(ledger.file)
        return written

    async def letter(self, clock: ManualClock) -> list[str]:
        """One 责任书 from 签字背书 to 对账, a year in a few steps: in January 李明 gets his
        2027 责任书 (message and .xlsx) and signs it with one tap; in December he reports
        one item 已完成 and one 未完成 with its reason; 刘洋 (纪委) gives the 对账确认,
        carrying the unfinished one into 2028; 李明 gets his 对账表. Returns a log."""
        services = self.bot.app.bot_data.services
        li, liu, api = self.users["李明"], self.users["刘洋"], self.api
        seen = {chat: len(api.bot_messages(chat)) for chat in api.messages}
        log: list[str] = []

        def pushes(step: str) -> None:
            log.append(step)
            for chat_id in list(api.messages):
                fresh = api.bot_messages(chat_id)[seen.get(chat_id, 0):]
                seen[chat_id] = len(api.bot_messages(chat_id))
                log.extend(f"　📨 {self._chat_name(chat_id)}：{_summary(m.plain)}" for m in fresh)

        zone = START.tzinfo
        clock.set(datetime(2027, 1, 11, 9, 0, tzinfo=zone))
        admin = await services.people.actor_for(ADMIN_ID)
        extra = await services.items.create(admin, ItemDraft(
            kind=ListKind.RESPONSIBILITY, title="推动局机关公务用车制度改革落地",
            duty=Duty.DUAL, owner="李明", unit="局办公室", due_date=date(2027, 9, 30)))
        await services.letters.issue(2027)
        await self.bot.sender.drain()
        letter = next(m for m in reversed(api.bot_messages(li.id)) if m.buttons
                      and "党风廉政建设责任书" in m.plain)
        await self.bot.press(li, letter, "✍️ 签字背书")
        pushes("2027-01-11（周一） 年初：责任书发出，李明签字背书")
        clock.set(datetime(2027, 12, 1, 9, 0, tzinfo=zone))
        await services.letters.reconcile(2027)
        await self.bot.sender.drain()
        listing = next(m for m in reversed(api.bot_messages(li.id)) if "年终对账" in m.plain
                       and m.buttons)
        await self.bot.press(li, listing, f"{self.codes['r1']} 已完成")
        await self.bot.press(li, listing, f"{extra.item.code} 未完成")
        await self.bot.send(li, "车辆处置需上级审批，年内未完成")
        await self.bot.send(liu, "/对账")
        await self.bot.press(liu, api.last(liu.id), f"{self.codes['r1']} 确认")
        await self.bot.press(liu, api.last(liu.id), f"{extra.item.code} 确认·结转")
        await self.bot.sender.drain()
        pushes("2027-12-01（周三） 年终：逐项对账，纪委对账确认，未完成事项结转 2028 年")
        return log

    async def robot_pushes(self) -> list[str]:
        """What the 企业微信 group robot sent at this tick, a line each."""
        if self.robots is None or self.fake is None:
            return []
        while (await self.robots.drain())[0]:
            pass
        seen = self.fake.wecom.received(WECOM_KEY)
        fresh, self.robot_seen = seen[self.robot_seen:], len(seen)
        return [f"　📨 企业微信·{WECOM_GROUP}：{_summary(_as_seen(p))}" for p in fresh]

    def _chat_name(self, chat_id: int) -> str:
        chat = self.api.chats[chat_id]
        return chat.title if chat.type != "private" else self.api.users[chat_id].first_name


FORTNIGHT_DAYS = 14
QUIET_DAY = "　（非工作日或无到期事项，不发送）"
FORTNIGHT_TITLE = "══════ 模拟两周：每个工作日 09:00 的推送 ══════"
QUARTER_DRAFT_DAY = date(2026, 12, 24)  # a week before the quarter's report is due
QUARTER_TITLE = "══════ 季度末：问责台账自动生成报告初稿（仅发纪委书记私聊） ══════"
LETTER_TITLE = "══════ 责任书：从签字背书到年终对账（模拟 2027 年） ══════"


def _summary(text: str) -> str:
    """A push in one line: its heading and the codes of the items it names."""
    codes = re.findall(r"\b[WZCLG][0-9]{4}\b", text, re.ASCII)
    head = text.split("\n", 1)[0]
    return f"{head}（{'、'.join(codes)}）" if codes else head


def transcript(api: FakeTelegram) -> str:
    """Every chat, as its members would read it."""
    blocks = []
    for chat_id, chat in api.chats.items():
        messages = api.messages.get(chat_id, [])
        if not messages:
            continue
        title = chat.title if chat.type != "private" else f"{api.users[chat_id].first_name} 的私聊"
        lines = [f"══════ {title} ══════"]
        for m in messages:
            if m.from_bot:
                lines.append("🤖 " + m.plain.replace("\n", "\n   "))
                if m.buttons:
                    lines.append("   " + " ".join(f"[{label}]" for label, _ in m.buttons))
            else:
                lines.append(f"👤 {api.users[m.sender_id].first_name}：{m.text}")
        blocks.append("\n".join(lines))
    toasts = [a.text for a in api.callback_answers if a.text]
    if toasts:
        blocks.append("══════ 按钮提示（toast） ══════\n" + "\n".join(f"💬 {t}" for t in toasts))
    return "\n\n".join(blocks)


def _as_seen(payload: dict) -> str:
    """A WeCom robot message as the group reads it: markdown drawn, an image named."""
    kind = payload.get("msgtype")
    if kind == "image":
        return "🖼️［图片：周报图表］"
    body = payload.get(kind, {}).get("content", "")
    return re.sub(r"\*\*|`", "", body)


def robot_transcript(fake: FakeRobots) -> str:
    """The 纪委's 企业微信 group, as its members would read it."""
    lines = [f"══════ 企业微信 · {WECOM_GROUP}（群机器人推送） ══════"]
    for payload in fake.wecom.received(WECOM_KEY):
        lines.append("🤖 " + _as_seen(payload).replace("\n", "\n   "))
    return "\n".join(lines)


class OutputRefused(Exception):
    """The --output file cannot be written; the message is the operator's one line."""


def claim_output(output: Path) -> Path:
    """Check where the transcript goes before the demo runs, and take a hidden name of
    our own beside it (proof that the folder is writable); the transcript is written there
    and renamed only when whole."""
    from messages.cli import output_folder_missing, output_is_a_folder, output_not_writable

    folder = output.absolute().parent
    if not folder.is_dir():
        raise OutputRefused(output_folder_missing(folder))
    if output.is_dir():
        raise OutputRefused(output_is_a_folder(output))
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{output.name}.", suffix=".partial")
    except OSError as exc:
        raise OutputRefused(output_not_writable(output, exc.errno)) from None
    os.close(handle)
    os.chmod(name, 0o644)  # a transcript to read, not a secret (mkstemp makes it 0600)
    return Path(name)


async def run_demo(output: str | None = None) -> int:
    from messages.cli import output_not_writable

    partial = None
    if output:
        try:
            partial = claim_output(Path(output))
        except OutputRefused as refused:
            print(f"dutybot: demo: {refused}", file=sys.stderr)
            return 1
    try:
        text = await _play()
        print(f"四责协同助手 · 演示（模拟时间 {START:%Y-%m-%d %H:%M}，无需令牌和网络）\n")
        print(text)
        if output and partial:
            try:
                partial.write_text(text, encoding="utf-8")
                partial.replace(output)
            except OSError as exc:
                print(f"dutybot: demo: {output_not_writable(Path(output), exc.errno)}",
                      file=sys.stderr)
                return 1
            print(f"\n（已写入 {output}）")
        return 0
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)


async def _play() -> str:
    """The whole story, and the transcript of every chat."""
    api = FakeTelegram()
    clock = ManualClock(START)
    fake = FakeRobots(lambda: clock.now().timestamp())
    server = FakeRobotServer(fake).start()
    skipped = None  # why the 看板 has no screenshot, if it has none
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = load_settings(
                DUTYBOT_DB_PATH=Path(folder) / "demo.db",
                DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                TELEGRAM_API_BASE_URL="https://api.telegram.org",
                DUTYBOT_TIMEZONE="Asia/Shanghai",
            )
            async with driven_bot(settings, api, clock) as bot, \
                    httpx.AsyncClient(trust_env=False) as http:
                services = bot.app.bot_data.services
                # as `dutybot channel add 企业微信 纪委工作群 --webhook …` does
                await services.channels.add(CONSOLE, "企业微信", WECOM_GROUP,
                                            server.root + fake.wecom.add_robot(WECOM_KEY))
                robots = RobotSender(services.robots, clock, http, services.offload)
                demo = Demo(bot, api, fake, robots)
                await demo.setup_people()
                await demo.seed_lists()
                await demo.play()
                log = await demo.fortnight(clock)
                files = await demo.weekly(FILES)
                shot, skipped = await board_screenshot(services, settings, FILES, "刘洋")
                files += [shot] if shot else []
                quarter, drafts = await demo.quarter_end(clock, FILES)
                files += drafts
                letter_log = await demo.letter(clock)
    finally:
        server.stop()
    text = "\n\n".join((transcript(api), robot_transcript(fake),
                        FORTNIGHT_TITLE + "\n" + "\n".join(log),
                        QUARTER_TITLE + "\n" + "\n".join(quarter),
                        LETTER_TITLE + "\n" + "\n".join(letter_log)))
    if files:
        text += "\n\n══════ 写出的文件 ══════\n" + "\n".join(f"📄 {f}" for f in files)
    if skipped:
        text += "\n" + skipped
    from bot.sandbox.screenshot import sandbox_screenshot  # the sandbox page, as a picture
    return text + "\n" + await sandbox_screenshot(FILES)


__all__ = ["run_demo"]
