"""What the bot says to what it does not handle: a file that is not text, an edit, a
message sent on behalf of a chat. Everything else it did not expect gets no answer."""

from __future__ import annotations

from messages import commands as c


def not_text_hint() -> str:
    """A sticker, photo, voice note, location, poll… in private chat."""
    return (f"我只看得懂文字消息和 Excel 文件（.xlsx），贴纸、图片、语音、位置、投票等不会处理。"
            f"发送 /{c.HELP.chinese}（/{c.HELP.ascii}）查看我能做什么。")


def edited_hint() -> str:
    """An edited message in private chat: the edit does nothing, so say so."""
    return ("修改已发出的消息不会生效，我只处理新发的消息。"
            "如需更正，请把改好的内容重新发送一条。")


def anonymous_hint() -> str:
    """A command sent "as the group" (an anonymous admin) or as a channel."""
    return ("以群或频道身份发出的命令无法确认是谁发的，机器人不会执行。"
            "请用本人账号发送（匿名管理员请先在群管理员设置中关闭“保持匿名”）。")
