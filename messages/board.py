"""The 纪委 看板's words (issue 24 §3): the /看板 answer in chat, the console's board-link
lines, and every word of the web pages (bot/board/templates take them from `page_words`;
jinja2 escapes whatever they put in a page)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.board import LINK_TTL, SESSION_TTL, Denied
from bot.services import errors as e
from messages.format import echo, esc
from messages.names import say

LINK_MINUTES = int(LINK_TTL.total_seconds() // 60)
SESSION_HOURS = int(SESSION_TTL.total_seconds() // 3600)


# -- chat --------------------------------------------------------------------------------

def board_link(url: str, expires_at: datetime) -> str:
    return (f"🔐 看板登录链接（{LINK_MINUTES} 分钟内有效，{expires_at:%H:%M} 前，只能用一次）：\n"
            f"<a href=\"{esc(url)}\">{esc(url)}</a>\n"
            f"打开后点“进入看板”，看板 {SESSION_HOURS} 小时内有效。"
            "请勿转发：谁点了“进入看板”，谁就以您的身份看到看板。")


def board_no_url() -> str:
    return ("看板还没有对外地址：请管理员设置 DUTYBOT_BOARD_URL"
            "（办公室反向代理的网址，如 https://dutybot.example.gov.cn/board）后重启机器人。")


def board_private_only() -> str:
    return "看板登录链接只在私聊中发送，请私聊机器人发送 /board。"


def board_refused(error: e.BoardRefused) -> str:
    if error.reason == "no_url":
        return board_no_url()
    who = f"“{echo(error.name)}”" if error.name else "您"
    return "⛔ " + who + say("没有看板：看板只提供给{纪委}、党委书记和有分管单位的班子成员。")


# -- console -------------------------------------------------------------------------------

def console_link(name: str, url: str, expires_at: datetime) -> str:
    return (f"{name} 的看板登录链接（{LINK_MINUTES} 分钟内有效，{expires_at:%H:%M} 前，只能用一次）：\n"
            f"{url}")


def console_no_url() -> str:
    return ("board-link: 看板还没有对外地址，链接无从生成：请设置 DUTYBOT_BOARD_URL"
            "（办公室反向代理的网址，如 https://dutybot.example.gov.cn/board）。")


def console_no_database(path: str) -> str:
    return f"找不到数据库 {path}：请检查 DUTYBOT_DB_PATH，或先运行 dutybot migrate 建好数据库。"


def board_listen_failed(address: str, reason: str) -> str:
    """`--board`: the address cannot be bound."""
    return (f"看板无法在 {address} 上监听（{reason}）：请检查 --board / DUTYBOT_BOARD_LISTEN，"
            "端口是否已被占用。")


# -- the web pages -------------------------------------------------------------------------

_DENIED = {
    Denied.UNKNOWN: ("链接或登录无效",
                     "这个链接不存在或不完整，或者登录信息无效。请在私聊中向机器人发送 /看板 获取新链接。"),
    Denied.USED: ("链接已经用过",
                  "每个登录链接只能用一次，这个已经用过了。请在私聊中向机器人发送 /看板 获取新链接。"),
    Denied.EXPIRED: ("链接或登录已过期",
                     f"登录链接 {LINK_MINUTES} 分钟内有效，登录后看板 {SESSION_HOURS} 小时内有效。"
                     "请在私聊中向机器人发送 /看板 获取新链接。"),
    Denied.NO_RIGHTS: ("没有看板",
                       "看板只提供给{纪委}、党委书记和有分管单位的班子成员。"
                       "如果您的职务有变动，请联系党委办公室。"),
}


def denied_page(reason: Denied) -> tuple[str, str]:
    """(title, one line) of the page a refused link, cookie or person gets."""
    title, text = _DENIED[reason]
    return say(title), say(text)


def not_logged_in() -> tuple[str, str]:
    return ("请先登录", "请在私聊中向机器人发送 /看板（或 /board），打开收到的链接，点“进入看板”。")


def wrong_host() -> str:
    """421: the Host header is not the board's address (plain text)."""
    return "请求的地址不是本看板的地址（DUTYBOT_BOARD_URL），已拒绝。\n"


def not_found() -> str:
    return "没有这个页面。\n"


def page_words() -> dict[str, str]:
    """Every fixed word of the pages, in the configured body's words."""
    words = {
        "site": "四责协同看板",
        "board_title": "{纪委}看板",
        "enter": "进入看板",
        "enter_for": "登录人：",
        "enter_hint": f"点下面的按钮进入看板（链接随即失效，看板 {SESSION_HOURS} 小时内有效）。",
        "scope_all": "范围：全部单位",
        "scope_oversees": "范围：本人事项和分管单位",
        "as_of": "数据时间",
        "logout": "退出",
        "overall": "总体",
        "total": "事项",
        "finished": "已完成",
        "overdue": "逾期",
        "soon": "7天内到期",
        "on_track": "正常推进",
        "on_time_rate": "按时完成率",
        "red": "逾期事项",
        "yellow": "7天内到期",
        "green": "正常推进",
        "green_line": "项正常推进，未到期（7天以后到期）。",
        "more": "另有 {n} 项，完整清单请用 /导出。",
        "none": "无",
        "code": "编号",
        "title": "事项",
        "owner": "责任人",
        "unit": "单位",
        "due": "到期",
        "days_late": "逾期天数",
        "by_unit": "按单位",
        "by_duty": "按责任（四责）",
        "by_list": "按清单",
        "name": "名称",
        "talks": "约谈（本年度）",
        "talks_required": "应开展（规则要求）",
        "talks_adhoc": "临时安排",
        "talks_held": "已开展",
        "fixes": "整改",
        "fixes_open": "未完成",
        "fixes_overdue": "其中逾期",
        "fixes_pending": "待验收",
        "fixes_verified": "已销号",
        "chain": "责任传导（按层级）",
        "chain_level": "层级",
        "chain_done": "完成率",
        "chain_none": "还没有分解到下一级的事项（/分解）。",
        "chain_lags": "下级落后的事项",
        "trend": "按时完成率趋势（近12周）",
        "trend_none": "近12周没有到期的事项。",
        "week_of": "周",
        "footer": "只读页面；每次查看都记入履责纪实。完整台账请在机器人中发送 /导出。",
        "levels": "党委|班子成员|下级党组织",
    }
    return {k: say(v) if "{n}" not in v else v for k, v in words.items()}


def screenshot_skipped(why: str, detail: str = "") -> str:
    """The demo's one line when it cannot photograph the 看板."""
    if why == "chromium":
        return "（未找到 chromium 浏览器，跳过看板截图；安装：apt-get install -y chromium）"
    if why == "playwright":
        return "（未安装 Playwright，跳过看板截图；安装：pip install playwright）"
    return f"（看板截图失败（{detail}），已跳过）"
