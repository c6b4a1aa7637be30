"""The console's help, in Chinese: every command, option and argument of `dutybot`, the
words of click's own help and usage errors, and the lines for a wrong command line and an
unexpected failure (issue 24, point 1). Plain text: the console prints no HTML.

A command's help is its one-line summary (what `dutybot --help` lists), then a paragraph.
"""

from __future__ import annotations

PROGRAM = ("四责协同助手（dutybot）的控制台命令。\n\n"
           "设置从环境变量或当前文件夹的 .env 读取（如 TELEGRAM_BOT_TOKEN、DUTYBOT_DB_PATH，"
           "见 README）。用 dutybot 命令 --help 查看每个命令的用法。")
DEBUG = "出错时显示完整的 Python 调用栈（traceback），供排查问题"
VERSION = "显示版本号并退出"
VERSION_LINE = "dutybot {version}"

# --- the commands: name → help (first line: the summary `dutybot --help` lists) ---------------

RUN = ("运行机器人（长轮询；给了 --webhook-url 则用 Webhook 模式）\n\n"
       "一直运行，按 Ctrl+C 停止。同一个数据库只能由一个 dutybot run 使用。"
       "没有 TELEGRAM_BOT_TOKEN 时，只用已添加的群机器人（dutybot channel）推送。")
RUN_WEBHOOK_URL = ("Webhook 模式：Telegram 推送更新的公网 https 地址"
                   "（同 DUTYBOT_WEBHOOK_URL）")
RUN_LISTEN = ("Webhook 服务在反向代理之后监听的 地址:端口"
              "（同 DUTYBOT_LISTEN，默认 127.0.0.1:8443）")

HANDOVER = ("人员交接：把离任者的事项和职责一次交给继任者\n\n"
            "移交清单事项、分管单位、谈话和待决定事项。先打印交接方案（移交什么、什么不能移交及原因）；--dry-run 到此为止，什么也不改。"
            "不加 --yes 时要在这里输入 y 确认。姓名重名时写 姓名@单位；继任者须是同一单位已登记的人。")
HANDOVER_DRY_RUN = "只打印交接方案，什么也不改"
HANDOVER_YES = "不再询问，直接交接"
RUN_BOARD = ("同时在此 地址:端口 提供纪委看板，如 127.0.0.1:8080"
             "（同 DUTYBOT_BOARD_LISTEN；默认不开）")
BOARD_LINK = ("为某人打印一个看板登录链接（一次有效，10 分钟内）\n\n"
              "给只能通过群机器人联系、没有私聊的办公室用。需要设置 DUTYBOT_BOARD_URL"
              "（看板对外的地址，如反向代理的地址）。姓名重名时写 姓名@单位。")

MIGRATE = "把数据库结构升级到最新版本\n\n新数据库会被建好；已是最新时什么也不改。"

DEMO = ("播放一段演示（示例单位从导入到周报），不需要令牌，也不联网\n\n"
        "演示用的是内存里的临时数据库，不会改动你的数据库。")
DEMO_OUTPUT = "把演示记录另外写入这个文件"

SANDBOX = ("在浏览器里试用每个流程：示例单位已建好，不需要令牌\n\n"
           "机器人连着本机的模拟 Telegram，不联网：在网页上选一个人，就能以他的身份发命令、点按钮、上传导入模板，"
           "按“下一个工作日 09:00”看提醒推送。按 Ctrl+C 结束，临时数据随之删除。")
SANDBOX_PORT = "网页在 127.0.0.1 上的端口（默认 0：任选一个空闲端口）"
SANDBOX_NO_OPEN = "只打印网页地址，不自动打开浏览器"

INVITE = ("打印新的邀请码和邀请链接（旧的邀请码随即失效）\n\n"
          "知道机器人的用户名时才有链接。"
          "给一个姓名，或用 --all-unbound 给所有还没绑定的人。不需要令牌：机器人用户名取自 "
          "DUTYBOT_BOT_USERNAME，或在设置了令牌时向 Telegram 查询一次。")
INVITE_NAME = "此人的姓名"
INVITE_UNIT = "此人的所在单位（同名时用来区分）"
INVITE_ALL = "所有还没绑定的人，每人一行，用制表符分隔"

BACKUP = ("立即备份数据库（机器人运行时也可以，得到的是一致的副本）\n\n"
          "SQLite 用它的在线备份，PostgreSQL 用 pg_dump --format=custom；"
          "副本检查通过后才得到给定的文件名。")
BACKUP_FILE = "备份写到哪个文件（不能已存在）"

RESTORE = ("用备份替换当前数据库（先检查备份；机器人必须先停止）\n\n"
           "原数据库另存为 *.before-restore-时间，不会删除。")
RESTORE_FILE = "备份文件（dutybot backup 或每日自动备份生成的）"
RESTORE_YES = "不再询问确认（不在终端中运行时必须加）"

COPY_DB = ("把全部数据复制到新的空数据库并核对条数（如换到 PostgreSQL）\n\n"
           "地址可以是 SQLite 文件路径（或 sqlite:///路径），或 postgresql://用户:密码@主机:端口/库名。")
COPY_DB_SOURCE = "现在的数据库"
COPY_DB_TARGET = "新的空数据库"

TEMPLATE = "生成一个空白的导入模板（.xlsx），带“说明”工作表"
TEMPLATE_FILE = "写到哪个文件（.xlsx，不能已存在）"

IMPORT = ("从 Excel 导入单位、人员和清单：全部导入，或一条也不导入\n\n"
          "导入摘要和新人员的邀请码打印在标准输出；每一行错误打印在标准错误。")
IMPORT_FILE = "填好的导入模板（.xlsx）"
IMPORT_MAX_SIZE = "允许超过机器人 5 MB 上限的文件，单位 MB（其他上限不变）"

EXPORT = ("写出 Excel 台账（清单、约谈、整改、履责纪实、完成与响应）\n\n"
          "与私聊 /导出 得到的文件相同；写完后记入履责纪实。")
EXPORT_FILE = "写到哪个文件（.xlsx）"
EXPORT_FORCE = "文件已存在时替换它"

CHANNEL = "办公室的群机器人（企业微信、钉钉、飞书）：添加、列出、测试、删除"
CHANNEL_ADD = "添加一个群机器人（它的地址只在这里输入，不经过任何聊天）"
CHANNEL_KIND = "企业微信（wecom）、钉钉（dingtalk）或飞书（feishu）"
CHANNEL_NAME = "群的名称，如 纪委工作群"
CHANNEL_WEBHOOK = "机器人的 Webhook 地址，从群机器人设置里复制"
CHANNEL_SECRET = "加签 / 签名校验的密钥（钉钉、飞书）"
CHANNEL_KEYWORD = "自定义关键词（钉钉、飞书）：每条消息都带上它"
CHANNEL_FOR = "这是谁的群：纪委（默认）或某个单位"
CHANNEL_CONFIDENTIAL = ("这个群用保密模式：只推送事项编号、状态、期限和责任人"
                        "（默认取 DUTYBOT_CONFIDENTIAL）")
CHANNEL_PRIMARY = "某单位的主群：该单位人员的提醒发到这里"
CHANNEL_LIST = "列出所有群机器人（地址和密钥打码）及其状态"
CHANNEL_TEST = "发一条测试消息；只有对方接收了才以 0 退出"
CHANNEL_REMOVE = "删除一个群机器人和它的地址"
CHANNEL_WHICH = "渠道的名称"

CASE = "问责台账：登记案件（一案双查）、列出案件"
CASE_ADD = "登记一件问责案件，以 --by 指定的纪委成员名义"
CASE_PERSON = "被问责人：姓名，或 姓名@单位"
CASE_BY = "登记人：纪委成员的姓名（也由他牵头倒查）"
CASE_SITUATION = "追责情形在规则文件中的编号（默认 1 到 10）"
CASE_FINDING = "查明的问题"
CASE_HANDLING = "处理，如 诫勉（规则文件中的列表）"
CASE_DECIDED = "作出处理的日期"
CASE_UNIT = "所在单位（默认为此人的单位）"
CASE_MISCONDUCT = "违纪违法案件：开启主体责任和监督责任的倒查（一案双查）"
CASE_TYPICAL = "典型案例，用于通报"
CASE_LIST = "列出所有案件及其倒查"

LETTERS = "责任书（签字背书）和年终对账"
LETTERS_ISSUE = "为还没有本年度责任书的人生成并发送（机器人运行时私聊送达）"
LETTERS_RECONCILE = "现在开启本年度对账，给每位责任人发送他的清单"
LETTERS_LIST = "每位责任人本年度的责任书：是否已签，对账到了哪一步"
LETTERS_YEAR = "年度，如 2027"

# --- click's own words, in Chinese (installed over click's gettext calls by bot/cli.py) -------

CLICK_WORDS: dict[str, str] = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出",
    "Show the version and exit.": "显示版本号并退出",
    "Aborted!": "已取消。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用 {command} {option} 查看用法。",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Invalid value: {message}": "值不对：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值不对：{message}",
    "No such option {name!r}.": "没有选项 {name}。",
    "No such command {name!r}.": "没有命令 {name}。",
    "Option {name!r} does not take a value.": "选项 {name} 不带值。",
    "Option {name!r} requires an argument.": "选项 {name} 后面要给一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name} 后面要给 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多出了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多出了参数（{args}）",
    "Did you mean {possibility}?": "是不是 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是其中之一：{possibilities}？）",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "Choose from:\n\t{choices}": "可选：{choices}",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} 不是有效的是/否值，可用：{states}",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "unknown error": "原因未知",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是一个文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是一个文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: invalid input": "错误：输入不对",
}

# click's names of its own parameter types, where a message names them
INTEGER = "整数"
NUMBER = "数字"


def number_refused(value: str, what: str) -> str:
    return f"{value!r} 不是{what}。"


def size_refused(value: str) -> str:
    return f"{value!r} 不是有效的大小：应为大于 0、不超过 1024 的 MB 数，如 20"


def year_refused(value: str) -> str:
    return f"{value!r} 不是有效的年度：应为四位数的年份，如 2027"


def usage_error(where: str, message: str, help_command: str) -> str:
    """A wrong command line: one line naming what is wrong and where the usage is."""
    text = " ".join(message.split())  # click's messages may run over several lines
    return f"{where}: {text.rstrip('。.')}。用 {help_command} 查看用法。"


def internal_error(kind: str) -> str:
    """An exception nobody expected: one line, the details only with --debug."""
    return (f"内部错误（{kind}），没有完成：请加 --debug 重新运行以查看详情，"
            "并把输出交给维护人员。")


def interrupted() -> str:
    return "已中断。"


# --- dutybot invite ----------------------------------------------------------------------

INVITE_WHO = "请给出一个姓名（姓名 [--unit 单位]），或用 --all-unbound 给所有还没绑定的人。"
NO_BOT_NAME = "还不知道机器人的用户名：设置 DUTYBOT_BOT_USERNAME=机器人用户名，或设置 TELEGRAM_BOT_TOKEN"


def no_invite_links(reason: str) -> str:
    return (f"只打印了邀请码，没有邀请链接（{reason}）。邀请码已生效：本人可在机器人私聊中发送 "
            "/start 邀请码 绑定。")


# --- the progress bars' labels (bot/cli_progress.py) -----------------------------------------

BAR_IMPORT = "导入（读取、检查、写入）"
BAR_EXPORT = "导出台账（生成、写入、记录）"
BAR_COPY = "复制数据（条）"
BAR_BACKUP = "备份（页）"
