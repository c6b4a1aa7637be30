"""A simulated Telegram Bot API, for tests and for `dutybot demo`.

It answers the methods the bot uses the way Telegram does (including its refusals:
overlong text, bad HTML, oversized callback data, users who never opened the bot),
keeps every chat's history, and makes the updates users would cause.
"""

from __future__ import annotations

import html
import http.client
import io
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a",
                "tg-spoiler", "span", "blockquote"}
_ASCII_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API lets bots fetch files up to 20 MB
UPLOAD_LIMIT = 50 * 1024 * 1024  # and send files up to 50 MB
CAPTION_LIMIT = 1024
_SENDS = {"sendmessage", "sendphoto", "senddocument"}  # what the flood limit counts
WEBHOOK_PORTS = (443, 80, 88, 8443)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first")
POLL_CONFLICT = ("Conflict: terminated by other getUpdates request; make sure that only one "
                 "bot instance is running")
WEBHOOK_RETRY = 0.1  # seconds before a refused or failed delivery is tried again


class ApiError(Exception):
    """Telegram's refusal. Code 0 stands for a broken connection (no answer at all)."""

    def __init__(self, code: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code,
                                "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


NETWORK_DOWN = 0
# Who Telegram names as the sender of what no person sent: a group's anonymous admins and a
# linked channel's automatic forwards
ANONYMOUS_ADMIN_ID = 1087968824  # @GroupAnonymousBot
TELEGRAM_SERVICE_ID = 777000  # "Telegram", the sender of a linked channel's forwards


@dataclass(frozen=True)
class Upload:
    """A file the bot uploads with a request (a multipart/form-data part)."""

    content: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot,
                                "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class Chat:
    id: int
    type: str  # "private", "supergroup" or "channel"
    title: str | None = None
    privacy: bool = True  # groups: only commands and replies to the bot reach it

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        return data


@dataclass
class Sent:
    """A message in a chat, as Telegram stores it."""

    chat_id: int
    message_id: int
    from_bot: bool
    text: str  # as sent (HTML for the bot's messages)
    reply_markup: dict[str, Any] | None = None
    sender_id: int | None = None
    edits: int = 0
    document: dict[str, Any] | None = None  # the Document Telegram reports for a file
    photo: bytes | None = None  # a photo the bot sent, byte for byte as uploaded
    file: bytes | None = None  # a document the bot sent, byte for byte as uploaded
    file_name: str | None = None  # that document's name
    caption: str | None = None  # a photo's or document's caption, as sent
    photo_sizes: list[dict[str, Any]] | None = None  # the PhotoSizes Telegram reports
    sender_chat: dict[str, Any] | None = None  # sent on behalf of a chat (anonymous, channel)

    @property
    def plain(self) -> str:
        """What a user reads: the text, or 🖼 / 📎 and the file's name with the caption."""
        caption = self.caption or ""
        if caption and self.from_bot:
            caption = plain_text(caption)
        if self.photo_sizes is not None:
            return f"🖼 {caption}".rstrip()
        if self.document and not self.text:
            return f"📎 {self.document.get('file_name', '')} {caption}".rstrip()
        return plain_text(self.text) if self.from_bot else self.text

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, in order."""
        if not self.reply_markup:
            return []
        return [(b["text"], b.get("callback_data", ""))
                for row in self.reply_markup.get("inline_keyboard", []) for b in row]


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool


@dataclass
class Tap:
    """A user tapped a button: who, on which chat's message, what the button said, and
    where in the chat it happened (the number of messages the chat had then)."""

    chat_id: int
    user_id: int
    label: str
    position: int
    callback_query_id: str


class _HtmlChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = f"Unexpected end tag \"{tag}\""
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def plain_text(message: str) -> str:
    """What a user reads: the HTML message with its entities applied."""
    checker = _HtmlChecker()
    checker.feed(message)
    checker.close()
    return "".join(checker.text)


_INVITE = re.compile(r"start=([A-Za-z0-9_-]+)")


def invite_code(text: str) -> str:
    """The code in the invite deep link a message carries, as the invited person taps it."""
    match = _INVITE.search(text)
    if match is None:
        raise AssertionError(f"no invite link in: {text}")
    return match.group(1)


def _parse_html(text: str) -> str:
    if re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped &")
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.error or checker.stack:
        raise ApiError(400, f"Bad Request: can't parse entities: {checker.error or 'unclosed tag'}")
    return html.unescape("".join(checker.text))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN-fake-telegram-0123456789"  # the shape @BotFather gives
    bot_id: int = 123456
    bot_username: str = "dutybot_demo_bot"
    users: dict[int, User] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    messages: dict[int, list[Sent]] = field(default_factory=dict)
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
    taps: list[Tap] = field(default_factory=list)  # every button tap, in order
    commands: list[dict[str, str]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    started: set[int] = field(default_factory=set)  # users who opened the bot
    blocked: set[int] = field(default_factory=set)
    kicked: set[int] = field(default_factory=set)  # groups the bot was removed from
    # Telegram's flood limit for sendMessage/sendPhoto/sendDocument, in messages per second
    # (None: no limit)
    send_rate_limit: float | None = None
    throttled: int = 0  # how many of those calls were answered 429
    # webhook mode: what setWebhook registered, and where "the office's reverse proxy"
    # listens (the root, e.g. http://127.0.0.1:8443, to which the webhook URL's path is
    # posted: the fake never posts to the https address itself). None: unreachable.
    webhook: dict[str, Any] | None = None
    webhook_proxy: str | None = None
    deliveries: list[tuple[int, int]] = field(default_factory=list)  # (update_id, status)
    # several bot processes (issue 23): getUpdates ended by a newer one (409, as Telegram
    # answers the older of two concurrent long polls), and every accepted send as
    # (time.monotonic(), chat id), to check the flood limits across processes
    conflicts: int = 0
    send_log: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._failures: list[tuple[str, ApiError]] = []
        self._recent_sends: deque[float] = deque()
        self._lock = threading.Condition()
        self._pending: list[dict[str, Any]] = []
        self._next_update = 1000
        self._next_message = 1
        self._next_callback = 1
        self._files: dict[str, tuple[str, int]] = {}  # file_id → (file_path, claimed size)
        self._contents: dict[str, bytes] = {}  # file_path → bytes
        self.downloads: list[str] = []  # file paths the bot fetched
        self._delivery: threading.Thread | None = None
        self._last_error: str | None = None
        self._polls = 0  # getUpdates long polls begun: a newer one ends the one waiting
        # a test's hook, called on the delivery thread after each webhook delivery with
        # the update and the status the bot answered
        self.after_delivery: Any = None

    # -- people and chats ------------------------------------------------------------------

    def user(self, user_id: int, first_name: str, username: str | None = None) -> User:
        user = User(user_id, first_name, username)
        self.users[user_id] = user
        self.chats.setdefault(user_id, Chat(user_id, "private"))
        return user

    def group(self, chat_id: int, title: str, privacy: bool = True) -> Chat:
        chat = Chat(chat_id, "supergroup", title, privacy)
        self.chats[chat_id] = chat
        return chat

    def channel(self, chat_id: int, title: str) -> Chat:
        chat = Chat(chat_id, "channel", title)
        self.chats[chat_id] = chat
        return chat

    # -- what users do ---------------------------------------------------------------------

    def send_text(
        self, user: User, text: str, chat: Chat | None = None, reply_to: Sent | None = None
    ) -> dict[str, Any] | None:
        """A user types a message. Returns the update, or None if privacy mode hides it."""
        chat = chat or self.chats[user.id]
        with self._lock:
            if chat.type == "private":
                self.started.add(user.id)
            message = self._store(chat.id, from_bot=False, text=text, sender_id=user.id)
            data: dict[str, Any] = {
                "message_id": message.message_id,
                "date": 1_790_000_000,
                "chat": chat.to_dict(),
                "from": user.to_dict(),
                "text": text,
            }
            command = _ASCII_COMMAND.match(text)
            if command:
                data["entities"] = [{"type": "bot_command", "offset": 0,
                                     "length": len(command.group(0))}]
            if reply_to is not None:
                data["reply_to_message"] = self._message_dict(reply_to)
            if chat.type != "private" and chat.privacy:
                addressed = command and (
                    not command.group(1) or command.group(1) == f"@{self.bot_username}")
                replying = reply_to is not None and reply_to.from_bot
                if not (addressed or replying):
                    return None
            return self._enqueue({"message": data})

    def send_document(
        self, user: User, content: bytes, file_name: str | None,
        mime_type: str | None = None, chat: Chat | None = None, file_size: int | None = None,
    ) -> dict[str, Any] | None:
        """A user sends a file. `file_size` is what Telegram reports (default: the real
        size). Returns the update, or None if privacy mode hides it."""
        chat = chat or self.chats[user.id]
        with self._lock:
            if chat.type == "private":
                self.started.add(user.id)
            number = len(self._files) + 1
            file_id = f"BQACAgIAAxkBAAI{number:06d}"
            suffix = "." + file_name.rsplit(".", 1)[1] if file_name and "." in file_name else ""
            path = f"documents/file_{number}{suffix}"
            size = len(content) if file_size is None else file_size
            self._files[file_id] = (path, size)
            self._contents[path] = content
            document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"AgAD{number}",
                                        "file_size": size}
            if file_name is not None:
                document["file_name"] = file_name
            if mime_type is not None:
                document["mime_type"] = mime_type
            message = self._store(chat.id, from_bot=False, text="", sender_id=user.id,
                                  document=document)
            if chat.type != "private" and chat.privacy:
                return None  # not a command, not a reply to the bot
            return self._enqueue({"message": self._message_dict(message)})

    # -- what else Telegram delivers: edits, posts on behalf of chats, media, service
    # -- messages and the update kinds the bot never asked for (each returns the update)

    def edit_text(self, message: Sent, text: str) -> dict[str, Any] | None:
        """The sender edits a message they sent: Telegram delivers it as `edited_message`
        (in a group with privacy mode, only when it is a command addressed to the bot)."""
        with self._lock:
            if message.from_bot or message.sender_id is None:
                raise AssertionError("only a user's own message can be edited by them")
            chat = self.chats[message.chat_id]
            message.text = text
            message.edits += 1
            data = {**self._message_dict(message), "edit_date": 1_790_000_060}
            command = _ASCII_COMMAND.match(text)
            if command:
                data["entities"] = [{"type": "bot_command", "offset": 0,
                                     "length": len(command.group(0))}]
            if chat.type != "private" and chat.privacy and not (
                    command and command.group(1) in (None, f"@{self.bot_username}")):
                return None
            return self._enqueue({"edited_message": data})

    def send_anonymously(self, chat: Chat, text: str,
                         sender_chat: Chat | None = None) -> dict[str, Any] | None:
        """An anonymous admin writes in a group "as the group" (`sender_chat` is the group,
        `from` is @GroupAnonymousBot); with `sender_chat` a channel, a member posting as
        that channel. Privacy mode delivers only commands addressed to the bot."""
        speaker = sender_chat or chat
        with self._lock:
            anonymous = User(ANONYMOUS_ADMIN_ID, "Group", "GroupAnonymousBot", is_bot=True)
            self.users.setdefault(ANONYMOUS_ADMIN_ID, anonymous)
            message = self._store(chat.id, from_bot=False, text=text,
                                  sender_id=ANONYMOUS_ADMIN_ID)
            message.sender_chat = speaker.to_dict()
            data = self._message_dict(message)
            command = _ASCII_COMMAND.match(text)
            if command:
                data["entities"] = [{"type": "bot_command", "offset": 0,
                                     "length": len(command.group(0))}]
            if chat.privacy and not (
                    command and command.group(1) in (None, f"@{self.bot_username}")):
                return None
            return self._enqueue({"message": data})

    def automatic_forward(self, channel: Chat, group: Chat, text: str) -> dict[str, Any]:
        """A post in a channel linked to `group` arrives there as an automatic forward,
        sent by "Telegram" on behalf of the channel (delivered whatever the privacy mode)."""
        with self._lock:
            service = User(TELEGRAM_SERVICE_ID, "Telegram")
            self.users.setdefault(TELEGRAM_SERVICE_ID, service)
            message = self._store(group.id, from_bot=False, text=text,
                                  sender_id=TELEGRAM_SERVICE_ID)
            message.sender_chat = channel.to_dict()
            data = {**self._message_dict(message), "is_automatic_forward": True,
                    "forward_origin": {"type": "channel", "date": 1_790_000_000,
                                       "chat": channel.to_dict(), "message_id": 1}}
            return self._enqueue({"message": data})

    def channel_post(self, channel: Chat, text: str, edited: bool = False) -> dict[str, Any]:
        """A post in a channel the bot is an admin of: no sender but the channel itself."""
        with self._lock:
            message = self._store(channel.id, from_bot=False, text=text)
            message.sender_chat = channel.to_dict()
            data = self._message_dict(message)
            if edited:
                data["edit_date"] = 1_790_000_060
            return self._enqueue({"edited_channel_post" if edited else "channel_post": data})

    def send_media(self, user: User, kind: str, chat: Chat | None = None,
                   caption: str | None = None) -> dict[str, Any] | None:
        """A user sends a sticker, photo, voice note, location, poll… (`kind`, a key of
        MEDIA). Privacy mode keeps it from the bot in a group."""
        chat = chat or self.chats[user.id]
        with self._lock:
            if chat.type == "private":
                self.started.add(user.id)
            message = self._store(chat.id, from_bot=False, text="", sender_id=user.id)
            data = {**self._message_dict(message), **MEDIA[kind]}
            del data["text"]
            if caption is not None:
                data["caption"] = caption
            if chat.type != "private" and chat.privacy:
                return None
            return self._enqueue({"message": data})

    def service_message(self, user: User, chat: Chat, kind: str) -> dict[str, Any]:
        """Something happened in a group (`kind`, a key of SERVICE): someone joined or
        left, a message was pinned, the title changed… Delivered whatever the privacy mode."""
        with self._lock:
            message = self._store(chat.id, from_bot=False, text="", sender_id=user.id)
            data = self._message_dict(message)
            del data["text"]
            data.update(_service(kind, user, self._m_getme({}), chat))
            return self._enqueue({"message": data})

    def other_update(self, kind: str, user: User, chat: Chat | None = None,
                     message: Sent | None = None) -> dict[str, Any]:
        """An update of a kind other than a message or a tap on a message's button
        (`kind`, one of OTHER_UPDATES): an inline query, a join request, a reaction…"""
        chat = chat or self.chats[user.id]
        with self._lock:
            number = self._next_callback
            self._next_callback += 1
            return self._enqueue({kind: _other(kind, user.to_dict(), self._m_getme({}),
                                               chat.to_dict(), message, number)})

    def download(self, file_path: str) -> bytes | None:
        """What `<root>/file/bot<token>/<file_path>` answers: the file, or None (404)."""
        with self._lock:
            self.calls.append(("download", {"file_path": file_path}))
            content = self._contents.get(file_path)
            if content is not None:
                self.downloads.append(file_path)
            return content

    def press(self, user: User, message: Sent, callback_data: str) -> dict[str, Any]:
        """A user taps an inline button (or forges one: any data may be passed)."""
        with self._lock:
            query_id = str(self._next_callback)
            self._next_callback += 1
            label = next((text for text, data in message.buttons if data == callback_data),
                         callback_data)
            self.taps.append(Tap(message.chat_id, user.id, label,
                                 len(self.messages.get(message.chat_id, [])), query_id))
            return self._enqueue({"callback_query": {
                "id": query_id,
                "from": user.to_dict(),
                "chat_instance": str(message.chat_id),
                "data": callback_data,
                "message": self._message_dict(message),
            }})

    def press_button(self, user: User, message: Sent, label: str) -> dict[str, Any]:
        """Tap the button whose label contains `label`."""
        for text, data in message.buttons:
            if label in text:
                return self.press(user, message, data)
        raise AssertionError(f"no button {label!r} in {message.buttons}")

    # -- reading what happened -------------------------------------------------------------

    def fail_next(self, method: str, code: int, description: str,
                  parameters: dict[str, Any] | None = None, times: int = 1) -> None:
        """Make the next call(s) of a method fail as Telegram (or the network) would."""
        with self._lock:
            for _ in range(times):
                self._failures.append((method.lower(), ApiError(code, description, parameters)))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def block(self, user: User) -> None:
        """The user blocks the bot: sending to them is refused from now on."""
        self.blocked.add(user.id)

    def bot_messages(self, chat_id: int) -> list[Sent]:
        return [m for m in self.messages.get(chat_id, []) if m.from_bot]

    def last(self, chat_id: int) -> Sent:
        sent = self.bot_messages(chat_id)
        if not sent:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return sent[-1]

    def history(self, chat_id: int) -> list[Sent]:
        """The chat's messages as they are now, copied: read from another thread (the
        sandbox's page) while the bot edits them through the HTTP server's."""
        with self._lock:
            return [replace(m) for m in self.messages.get(chat_id, [])]

    def toast(self, callback_query_id: str) -> str | None:
        """The text the bot answered a tap with (answerCallbackQuery), if any yet."""
        with self._lock:
            return next((a.text for a in reversed(self.callback_answers)
                         if a.callback_query_id == callback_query_id and a.text), None)

    def transcript(self, chat_id: int) -> list[str]:
        """The chat as its members see it, one entry per message."""
        return [m.plain for m in self.messages.get(chat_id, [])]

    # -- webhook delivery: Telegram posts each update, in order, until it is answered 2xx --

    def _deliver_forever(self) -> None:
        while True:
            with self._lock:
                if self.webhook is None:
                    return
                if not self._pending or self.webhook_proxy is None:
                    self._lock.wait(WEBHOOK_RETRY)
                    continue
                update = self._pending[0]
                hook = dict(self.webhook)
                proxy = self.webhook_proxy
            status = self._post_update(proxy, hook, update)
            with self._lock:
                self.deliveries.append((update["update_id"], status))
                if 200 <= status < 300:
                    self._pending = [u for u in self._pending if u is not update]
                    self._last_error = None
                else:
                    self._last_error = (f"Wrong response from the webhook: {status}" if status
                                        else "Connection refused")
            if self.after_delivery is not None:
                self.after_delivery(update, status)
            if not 200 <= status < 300:
                time.sleep(WEBHOOK_RETRY)

    @staticmethod
    def _post_update(proxy: str, hook: dict[str, Any], update: dict[str, Any]) -> int:
        """One POST as Telegram makes it; the status, or 0 when nobody answered."""
        target = urlsplit(proxy)
        url = urlsplit(hook["url"])
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        headers = {"Content-Type": "application/json"}
        if hook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80,
                                          timeout=10)
        try:
            conn.request("POST", path, json.dumps(update, ensure_ascii=False).encode(), headers)
            response = conn.getresponse()
            response.read()
            return response.status
        except OSError:
            return 0
        finally:
            conn.close()

    # -- the Bot API -----------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call: (HTTP status, JSON body)."""
        with self._lock:
            self.calls.append((method, params))
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            try:
                self._injected_failure(method.lower())
                if method.lower() in _SENDS:
                    self._check_flood()
                result = handler(params)
                if method.lower() in _SENDS:
                    self.send_log.append((time.monotonic(), int(params["chat_id"])))
                return 200, {"ok": True, "result": result}
            except ApiError as exc:
                return exc.code, exc.body()

    def wait_for_updates(self, offset: int | None, timeout: float) -> list[dict[str, Any]]:
        """getUpdates with long polling: confirm below offset, wait for something new."""
        with self._lock:
            self._polls += 1
            mine = self._polls
            self._lock.notify_all()  # a long poll still waiting is ended by this one
            self._confirm(offset)
            if not self._pending and timeout > 0:
                self._lock.wait(timeout)
                if self._polls != mine:  # two pollers: Telegram answers the older 409
                    self.conflicts += 1
                    raise ApiError(409, POLL_CONFLICT)
                self._confirm(offset)
            return list(self._pending[:100])

    def most_sent(self, period: float, chat_id: int | None = None) -> int:
        """The most messages accepted in any `period` seconds (into `chat_id`, or all)."""
        with self._lock:
            times = [t for t, chat in self.send_log if chat_id in (None, chat)]
        return most_in_any_window(times, period)

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._pending)

    def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "四责协同助手",
                "username": self.bot_username, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(c["description"]) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = list(commands)
        return True

    def _m_getmycommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return list(self.commands)

    def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        """As the Bot API checks it: an https URL on one of its ports, a secret token of
        1–256 allowed characters, 1–100 connections. An empty URL removes the webhook."""
        url = str(params.get("url") or "")
        if not url:
            return self._m_deletewebhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided "
                                "for webhook")
        try:
            port = parts.port or 443
        except ValueError:
            port = 0
        if port not in WEBHOOK_PORTS:
            raise ApiError(400, "Bad Request: bad webhook: Webhook can be set up only on "
                                "ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None:
            secret = str(secret)
            if not secret:
                raise ApiError(400, "Bad Request: secret token is too short")  # sic
            if len(secret) > 256:
                raise ApiError(400, "Bad Request: secret token is too long")
            if not _SECRET_TOKEN.fullmatch(secret):
                raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        connections = int(params.get("max_connections") or 40)
        if not 1 <= connections <= 100:
            raise ApiError(400, "Bad Request: bad webhook: max_connections must be between 1 "
                                "and 100")
        if _flag(params.get("drop_pending_updates")):
            self._pending.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        self.webhook = {"url": url, "secret_token": secret, "max_connections": connections,
                        "allowed_updates": allowed}
        if self._delivery is None or not self._delivery.is_alive():
            self._delivery = threading.Thread(target=self._deliver_forever, daemon=True,
                                              name="fake-telegram-webhook")
            self._delivery.start()
        return True

    def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if _flag(params.get("drop_pending_updates")):
            self._pending.clear()
        self._lock.notify_all()
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False,
                                "pending_update_count": len(self._pending)}
        if self.webhook is not None:
            info.update(url=self.webhook["url"], max_connections=self.webhook["max_connections"],
                        ip_address="127.0.0.1")
            if self.webhook["allowed_updates"] is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
            if self._last_error is not None:
                info.update(last_error_date=1_790_000_000, last_error_message=self._last_error)
        return info

    def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self._confirm(params.get("offset"))
        return list(self._pending[:100])

    def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._check_chat(params)
        text = str(params.get("text", ""))
        self._check_text(text, params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        message = self._store(chat_id, from_bot=True, text=text, reply_markup=markup)
        return self._message_dict(message)

    def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._check_chat(params)
        upload = self._upload(params, "photo")
        width, height = _image_size(upload.content)
        caption = self._check_caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        file_id, unique_id = self._keep_file("photos", "AgACAgIAAxkBAAI", upload)
        sizes = []
        scale = min(1.0, 90 / max(width, height))
        if scale < 1.0:  # Telegram adds smaller copies; the last PhotoSize is the largest
            thumb_id, thumb_unique = self._keep_file("photos", "AgACAgIAAxkBAAI", upload)
            sizes.append({"file_id": thumb_id, "file_unique_id": thumb_unique,
                          "width": max(1, round(width * scale)),
                          "height": max(1, round(height * scale)),
                          "file_size": len(upload.content)})
        sizes.append({"file_id": file_id, "file_unique_id": unique_id, "width": width,
                      "height": height, "file_size": len(upload.content)})
        message = self._store(chat_id, from_bot=True, text="", reply_markup=markup)
        message.photo = upload.content
        message.photo_sizes = sizes
        message.caption = caption
        return self._message_dict(message)

    def _m_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._check_chat(params)
        upload = self._upload(params, "document")
        caption = self._check_caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        file_id, unique_id = self._keep_file("documents", "BQACAgIAAxkBAAI", upload)
        document: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id,
                                    "file_size": len(upload.content)}
        if upload.file_name:
            document["file_name"] = upload.file_name
        if upload.mime_type:
            document["mime_type"] = upload.mime_type
        message = self._store(chat_id, from_bot=True, text="", reply_markup=markup,
                              document=document)
        message.file = upload.content
        message.file_name = upload.file_name
        message.caption = caption
        return self._message_dict(message)

    def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        if message.photo_sizes is not None or message.document is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = str(params.get("text", ""))
        self._check_text(text, params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        if text == message.text and markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                                "content and reply markup are exactly the same")
        message.text = text
        message.reply_markup = markup
        message.edits += 1
        return self._message_dict(message)

    def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        message.reply_markup = self._check_markup(params.get("reply_markup"))
        message.edits += 1
        return self._message_dict(message)

    def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, size = self._files[file_id]
        if size > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"AgAD{file_id[-6:]}",
                "file_size": size, "file_path": path}

    def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(CallbackAnswer(
            str(params["callback_query_id"]), text, bool(params.get("show_alert"))))
        return True

    # -- internals -------------------------------------------------------------------------

    def _injected_failure(self, method: str) -> None:
        for index, (failing, error) in enumerate(self._failures):
            if failing == method:
                del self._failures[index]
                raise error

    def _check_flood(self) -> None:
        """A sliding one-second window, as strict as Telegram's overall limit."""
        if self.send_rate_limit is None:
            return
        now = time.monotonic()
        while self._recent_sends and now - self._recent_sends[0] >= 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self.send_rate_limit:
            self.throttled += 1
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._recent_sends.append(now)

    def _check_chat(self, params: dict[str, Any]) -> int:
        """The chat a message goes to, refused as Telegram refuses it."""
        chat_id = int(params["chat_id"])
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.type == "private":
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat_id in self.kicked:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat_id

    def _upload(self, params: dict[str, Any], field_name: str) -> Upload:
        """The file a sendPhoto/sendDocument carries: uploaded (directly or through an
        attach:// reference), or the file_id of a file Telegram already has."""
        value = params.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
            if not isinstance(value, Upload):
                raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        if isinstance(value, str):  # a file_id to send again (URLs are not fetched here)
            if value not in self._files:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            path, _ = self._files[value]
            name = None if field_name == "photo" else path.rsplit("/", 1)[-1]
            return Upload(self._contents[path], name)
        if not isinstance(value, Upload):
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        if not value.content:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(value.content) > UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        return value

    def _keep_file(self, folder: str, prefix: str, upload: Upload) -> tuple[str, str]:
        """Remember an uploaded file so getFile and a download find it: (file_id, unique id)."""
        number = len(self._files) + 1
        file_id = f"{prefix}{number:06d}"
        name = upload.file_name or ""
        suffix = "." + name.rsplit(".", 1)[1] if "." in name else ""
        path = f"{folder}/file_{number}{suffix}"
        self._files[file_id] = (path, len(upload.content))
        self._contents[path] = upload.content
        return file_id, f"AgAD{number}"

    def _check_caption(self, params: dict[str, Any]) -> str | None:
        caption = params.get("caption")
        if caption is None or caption == "":
            return None
        caption = str(caption)
        visible = _parse_html(caption) if params.get("parse_mode") == "HTML" else caption
        if _utf16(visible) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        return caption

    def _check_text(self, text: str, parse_mode: str | None) -> None:
        visible = _parse_html(text) if parse_mode == "HTML" else text
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16(visible) > 4096:
            raise ApiError(400, "Bad Request: message is too long")

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _find(self, params: dict[str, Any]) -> Sent:
        chat_id = int(params["chat_id"])
        message_id = int(params["message_id"])
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _store(self, chat_id: int, *, from_bot: bool, text: str,
               reply_markup: dict[str, Any] | None = None, sender_id: int | None = None,
               document: dict[str, Any] | None = None) -> Sent:
        message = Sent(chat_id, self._next_message, from_bot, text, reply_markup, sender_id,
                       document=document)
        self._next_message += 1
        self.messages.setdefault(chat_id, []).append(message)
        return message

    def _message_dict(self, message: Sent) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {
            "message_id": message.message_id, "date": 1_790_000_000, "chat": chat.to_dict(),
        }
        if message.from_bot:
            data["from"] = self._m_getme({})
        elif message.sender_id is not None:  # a channel's post has no sender but the channel
            data["from"] = self.users[message.sender_id].to_dict()
        if message.sender_chat is not None:
            data["sender_chat"] = message.sender_chat
        if message.photo_sizes is not None:
            data["photo"] = message.photo_sizes
        elif message.document:
            data["document"] = message.document
        else:
            data["text"] = message.plain
        if message.caption:
            data["caption"] = plain_text(message.caption) if message.from_bot else message.caption
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    def _enqueue(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update, **body}
        self._next_update += 1
        self._pending.append(update)
        self._lock.notify_all()
        return update

    def _confirm(self, offset: Any) -> None:
        if offset is not None:
            offset = int(offset)
            self._pending = [u for u in self._pending if u["update_id"] >= offset]


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _image_size(content: bytes) -> tuple[int, int]:
    """(width, height) of an uploaded photo, refused as Telegram refuses what it can't read."""
    from PIL import Image, UnidentifiedImageError  # Pillow comes with matplotlib

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from exc
    if width + height > 10_000 or max(width, height) > 20 * min(width, height):
        raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    return width, height


def _file(number: int) -> dict[str, Any]:
    return {"file_id": f"AwACAgIAAxkBAAI{number:06d}", "file_unique_id": f"AgADm{number}"}


# What each kind of message carries instead of text, as Telegram sends it.
MEDIA: dict[str, dict[str, Any]] = {
    "sticker": {"sticker": {**_file(1), "width": 512, "height": 512, "is_animated": False,
                            "is_video": False, "type": "regular", "emoji": "👍"}},
    "photo": {"photo": [{**_file(2), "width": 90, "height": 90, "file_size": 1200},
                        {**_file(3), "width": 800, "height": 800, "file_size": 48000}]},
    "voice": {"voice": {**_file(4), "duration": 3, "mime_type": "audio/ogg"}},
    "audio": {"audio": {**_file(5), "duration": 120, "title": "会议录音"}},
    "video": {"video": {**_file(6), "width": 640, "height": 360, "duration": 10}},
    "video_note": {"video_note": {**_file(7), "length": 240, "duration": 5}},
    "animation": {"animation": {**_file(8), "width": 320, "height": 240, "duration": 2}},
    "location": {"location": {"latitude": 39.9042, "longitude": 116.4074}},
    "venue": {"venue": {"location": {"latitude": 39.9042, "longitude": 116.4074},
                        "title": "局机关会议室", "address": "某市某区某路 1 号"}},
    "contact": {"contact": {"phone_number": "+8613800000000", "first_name": "张三"}},
    "poll": {"poll": {"id": "5001", "question": "周五开会吗？", "total_voter_count": 0,
                      "options": [{"text": "开", "voter_count": 0, "persistent_id": "o1"},
                                  {"text": "不开", "voter_count": 0, "persistent_id": "o2"}],
                      "is_closed": False, "is_anonymous": True, "type": "regular",
                      "allows_multiple_answers": False, "allows_revoting": True,
                      "members_only": False}},
    "dice": {"dice": {"emoji": "🎲", "value": 4}},
}

SERVICE = ("new_chat_members", "left_chat_member", "pinned_message", "new_chat_title",
           "new_chat_photo", "delete_chat_photo", "group_chat_created", "migrate_from_chat_id",
           "message_auto_delete_timer_changed", "video_chat_started", "forum_topic_created")


def _service(kind: str, user: User, bot: dict[str, Any], chat: Chat) -> dict[str, Any]:
    match kind:
        case "new_chat_members":  # the bot itself is added, with a person
            return {"new_chat_members": [bot, user.to_dict()]}
        case "left_chat_member":
            return {"left_chat_member": user.to_dict()}
        case "pinned_message":
            return {"pinned_message": {"message_id": 1, "date": 1_790_000_000,
                                       "chat": chat.to_dict(), "from": bot,
                                       "text": "/登记 王五 班子成员 某局党委"}}
        case "new_chat_title":
            return {"new_chat_title": "改名后的工作群"}
        case "new_chat_photo":
            return {"new_chat_photo": [{**_file(9), "width": 160, "height": 160}]}
        case "delete_chat_photo":
            return {"delete_chat_photo": True}
        case "group_chat_created":
            return {"group_chat_created": True}
        case "migrate_from_chat_id":
            return {"migrate_from_chat_id": -4242}
        case "message_auto_delete_timer_changed":
            return {"message_auto_delete_timer_changed": {"message_auto_delete_time": 86400}}
        case "video_chat_started":
            return {"video_chat_started": {}}
        case "forum_topic_created":
            return {"forum_topic_created": {"name": "整改专题", "icon_color": 7322096}}
    raise ValueError(f"no service message {kind!r}")


OTHER_UPDATES = ("inline_query", "chosen_inline_result", "chat_join_request",
                 "message_reaction", "message_reaction_count", "poll", "poll_answer",
                 "my_chat_member", "chat_member", "callback_query")


def _other(kind: str, user: dict[str, Any], bot: dict[str, Any], chat: dict[str, Any],
           message: Sent | None, number: int) -> dict[str, Any]:
    """The body of one update of another kind. `callback_query` here is a tap on a button
    of an inline message (sent through inline mode): no chat, no message."""
    message_id = message.message_id if message is not None else 1
    member = {"status": "member", "user": user}
    match kind:
        case "inline_query":
            return {"id": f"iq{number}", "from": user, "query": "/登记 王五", "offset": ""}
        case "chosen_inline_result":
            return {"result_id": "1", "from": user, "query": "/登记 王五"}
        case "chat_join_request":
            return {"chat": chat, "from": user, "user_chat_id": user["id"],
                    "date": 1_790_000_000}
        case "message_reaction":
            return {"chat": chat, "message_id": message_id, "user": user,
                    "date": 1_790_000_000, "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}]}
        case "message_reaction_count":
            return {"chat": chat, "message_id": message_id, "date": 1_790_000_000,
                    "reactions": [{"type": {"type": "emoji", "emoji": "👍"},
                                   "total_count": 3}]}
        case "poll":
            return MEDIA["poll"]["poll"]
        case "poll_answer":
            return {"poll_id": "5001", "user": user, "option_ids": [0],
                    "option_persistent_ids": ["o1"]}
        case "my_chat_member":
            return {"chat": chat, "from": user, "date": 1_790_000_000,
                    "old_chat_member": {"status": "left", "user": bot},
                    "new_chat_member": {"status": "member", "user": bot}}
        case "chat_member":
            return {"chat": chat, "from": user, "date": 1_790_000_000,
                    "old_chat_member": {"status": "left", "user": user},
                    "new_chat_member": member}
        case "callback_query":
            return {"id": f"cq{number}", "from": user, "chat_instance": "42",
                    "inline_message_id": "AAAAAGlubGluZQ", "data": "it:done:1:d"}
    raise ValueError(f"no update kind {kind!r}")


def most_in_any_window(times: list[float], period: float) -> int:
    """The most of these moments that fall within any `period` seconds."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= period:
            first += 1
        most = max(most, last - first + 1)
    return most
