"""`dutybot sandbox`: the words of the page where a 党委办公室 tries the bot in a browser,
and the console's lines about it. Plain text: the page's templates escape it (jinja2's
autoescape), the console prints it as it is."""

from __future__ import annotations

from datetime import datetime

from messages.format import fmt_date

TITLE = "四责协同助手 · 试用沙盒"
INTRO = ("这里的机器人和正式运行的是同一个程序，只是 Telegram 换成了本机模拟的服务器："
         "不需要令牌，不连网络。选一个人，以他的身份和机器人对话：发命令、点按钮、上传导入模板。")
PICK_PERSON = "以谁的身份试用"
PICK_GROUP = "群聊"
GROUP_AS = "以谁的身份发言"
ENTER = "进入"
STRANGER_ROLE = "未登记（可试 /start 邀请码）"
BACK = "← 换一个人"
SEND = "发送"
PLACEHOLDER = "输入消息或命令，如 /我的清单、/待办、/帮助"
UPLOAD = "上传文件"
UPLOAD_HINT = "管理员把填好的导入模板（.xlsx）发给机器人即可导入"
TEMPLATE_LINK = "下载导入模板"
NEXT_WORKDAY = "下一个工作日 09:00"
REPLY = "回复"
REPLYING = "回复这条消息："
CANCEL_REPLY = "取消回复"
EDITED = "已编辑"
EMPTY_CHAT = "（还没有消息。发一条 /帮助 试试。）"
DOWNLOAD = "下载"
TOAST = "💬 按钮提示："
YOU = "我"
BOT_NAME = "四责协同助手"
NOT_FOUND_TITLE = "找不到"
PRIVATE_CHAT = "私聊"
REFRESH = "刷新"


def clock_now(moment: datetime) -> str:
    """The sandbox's clock, as the page shows it."""
    return f"模拟时间：{fmt_date(moment.date())} {moment:%H:%M}"


def chat_title(name: str, group: str | None) -> str:
    return f"{group} · 以{name}的身份" if group else f"{name} 与机器人的私聊"


def person_label(name: str, role: str) -> str:
    return f"{name}（{role}）"


def unknown_person(raw: str) -> str:
    shown = raw if len(raw) <= 20 else raw[:19] + "…"
    return f"没有这个人：“{shown}”。请回到首页，从名单里选一位。"


def unknown_group(raw: str) -> str:
    shown = raw if len(raw) <= 20 else raw[:19] + "…"
    return f"没有这个群：“{shown}”。请回到首页，从群聊里选一个。"


def unknown_message() -> str:
    return "这条消息或按钮已经不在了，页面已刷新，请再点一次。"


def not_local(host: str) -> str:
    shown = host if len(host) <= 40 else host[:39] + "…"
    return (f"试用沙盒只在本机地址上打开（如 http://127.0.0.1:端口/），不接受“{shown}”。"
            "请用 dutybot sandbox 打印的地址。")


def empty_message() -> str:
    return "消息不能为空：请输入文字或命令，如 /我的清单。"


def message_too_long(limit: int) -> str:
    return f"消息太长：Telegram 一条消息最多 {limit} 个字，请分几条发送。"


def no_file() -> str:
    return "没有选择文件：请先选择要上传的文件，再点“上传文件”。"


def upload_only_private() -> str:
    return "文件只能在私聊里发给机器人。"


def hidden_in_group() -> str:
    return ("群里开着隐私模式：机器人只收到命令（/开头）和回复它的消息，这条它看不到。")


def bot_slow() -> str:
    return "机器人还在处理，稍后页面会自动刷新。"


def clock_moved(moment: datetime, pushes: dict[str, int]) -> str:
    when = f"时钟已拨到 {fmt_date(moment.date())} {moment:%H:%M}"
    if not pushes:
        return f"{when}：这一天没有推送。"
    listed = "、".join(f"{name} {count} 条" for name, count in pushes.items())
    return f"{when}，机器人发出推送：{listed}。"


# -- the console -----------------------------------------------------------------------------

def console_ready(url: str) -> str:
    return (f"试用沙盒已启动：{url}\n"
            "（本机模拟的 Telegram，无需令牌、不连网络；按 Ctrl-C 停止，临时文件随之删除）")


def console_starting() -> str:
    return "正在准备试用沙盒：建立演示单位、人员和清单……"


def console_stopped() -> str:
    return "试用沙盒已停止，临时文件已删除。"


def console_port_busy(port: int, reason: str) -> str:
    return f"端口 {port} 无法使用（{reason}）：换一个端口（--port 8090），或用 --port 0 自动选择。"


def console_bad_port(value: str) -> str:
    return f"--port 应为 0–65535 的数字（0 表示自动选择），现为 {value!r}。"


def screenshot_unavailable(reason: str) -> str:
    return f"（未生成试用沙盒截图：{reason}）"


def screenshot_written(path: str) -> str:
    return f"📄 {path}"


NO_CHROMIUM = "本机没有 chromium 浏览器（apt-get install -y chromium）"
NO_PLAYWRIGHT = "没有安装 Playwright（pip install playwright）"
