"""The sandbox's page (aiohttp + jinja2, server-rendered, no script but a small poll): pick a
person, read their chat, type, tap, upload, move the clock. Every request names the person
it acts as; anyone not of the demo unit gets a Chinese page and nothing changes."""

from __future__ import annotations

import asyncio
import io
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

import messages.sandbox as t
from bot.fake_telegram import Sent
from bot.sandbox.render import plain, telegram_html
from bot.sandbox.world import SIZE_LIMIT, Group, Person, Sandbox

SANDBOX = web.AppKey("sandbox", Sandbox)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
TEXT_LIMIT = 4096  # what Telegram takes in one message
CHUNK = 256 * 1024


LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


@web.middleware
async def local_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """Only a page opened as this machine's address is served: a web site whose name was
    pointed at 127.0.0.1 (DNS rebinding) gets nothing from the sandbox."""
    host = (request.host or "").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name not in LOCAL_NAMES:
        return _page(request, "error.html", status=421, problem=t.not_local(host))
    return await handler(request)


def make_app(sandbox: Sandbox) -> web.Application:
    app = web.Application(middlewares=[local_only])
    app[SANDBOX] = sandbox
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.sandbox", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined)
    app.add_routes([
        web.get("/", index),
        web.get("/chat", chat),
        web.post("/send", send),
        web.post("/press", press),
        web.post("/upload", upload),
        web.post("/clock", clock),
        web.get("/template", template),
        web.get("/file/{chat}/{message}", file),
        web.get("/photo/{chat}/{message}", photo),
        web.get("/api/people", api_people),
        web.get("/api/chat", api_chat),
    ])
    return app


class Refused(Exception):
    """A request naming someone or something the sandbox does not have: a page saying so."""

    def __init__(self, problem: str, status: int = 404) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status


def _page(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    sandbox = request.app[SANDBOX]
    body = request.app[TEMPLATES].get_template(name).render(
        t=t, clock=t.clock_now(sandbox.clock.now()), **context)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _refusal(request: web.Request, refused: Refused) -> web.Response:
    return _page(request, "error.html", status=refused.status, problem=refused.problem)


def _where(sandbox: Sandbox, values: Any) -> tuple[Person, Group | None]:
    """The person (and group) a request acts as, or Refused."""
    raw = values.get("as", "")
    person = sandbox.person(raw)
    if person is None:
        raise Refused(t.unknown_person(str(raw)))
    group = None
    if values.get("in"):
        group = sandbox.group(values.get("in"))
        if group is None:
            raise Refused(t.unknown_group(str(values.get("in"))))
    return person, group


def _chat_url(person: Person, group: Group | None, **extra: str) -> str:
    query = {"as": str(person.id)}
    if group is not None:
        query["in"] = str(group.id)
    query.update({k: v for k, v in extra.items() if v})
    return "/chat?" + urlencode(query)


def _back(person: Person, group: Group | None, note: str | None = None) -> web.Response:
    """After an action, the chat again (303: a reload does not repeat the action)."""
    raise web.HTTPSeeOther(_chat_url(person, group, note=note or ""))


# -- pages -------------------------------------------------------------------------------------

async def index(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    return _page(request, "index.html", people=list(sandbox.people.values()),
                 groups=list(sandbox.groups.values()))


def _view(sandbox: Sandbox, m: Sent, person: Person, group: Group | None) -> dict[str, Any]:
    """One message as the page draws it."""
    chat_id = m.chat_id
    keyboard = []
    index = 0
    for row in (m.reply_markup or {}).get("inline_keyboard", []):
        buttons = []
        for button in row:
            url = button.get("url") or ""
            buttons.append({"text": button.get("text", ""), "index": index,
                            "url": url if url.startswith(("http://", "https://")) else None})
            index += 1
        keyboard.append(buttons)
    if m.from_bot:
        body = m.caption if (m.photo is not None or m.document) else m.text
        shown = telegram_html(body)
    else:
        shown = plain(m.caption if m.document else m.text)
    return {
        "id": m.message_id,
        "from_bot": m.from_bot,
        "mine": not m.from_bot and m.sender_id == person.id,
        "who": t.BOT_NAME if m.from_bot else (t.YOU if m.sender_id == person.id
                                              else sandbox.sender_name(m)),
        "html": shown,
        "text": m.plain,
        "photo": f"/photo/{chat_id}/{m.message_id}" if m.photo is not None else None,
        "document": (f"/file/{chat_id}/{m.message_id}" if m.file is not None else None),
        "file_name": m.file_name or (m.document or {}).get("file_name"),
        "keyboard": keyboard,
        "edited": m.from_bot and m.edits > 0,
        "reply_link": _chat_url(person, group, reply=str(m.message_id)),
    }


async def chat(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    try:
        person, group = _where(sandbox, request.query)
    except Refused as refused:
        return _refusal(request, refused)
    chat_id = group.id if group else person.id
    reply = None
    if request.query.get("reply"):
        target = sandbox.message(chat_id, request.query["reply"])
        if target is not None:
            preview = target.plain.split("\n", 1)[0]
            reply = {"id": target.message_id,
                     "preview": preview if len(preview) <= 40 else preview[:39] + "…"}
    messages = [_view(sandbox, m, person, group) for m in sandbox.history(chat_id)]
    title = t.chat_title(person.name, group.title if group else None)
    return _page(request, "chat.html", title=title, person=person, group=group,
                 messages=messages, version=sandbox.version(chat_id),
                 note=request.query.get("note", "")[:500], reply=reply,
                 here=_chat_url(person, group),
                 api_url="/api/chat?" + urlencode(
                     {"as": person.id, **({"in": group.id} if group else {}), "brief": 1}))


# -- what a person does ------------------------------------------------------------------------

async def send(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    form = await request.post()
    try:
        person, group = _where(sandbox, form)
    except Refused as refused:
        return _refusal(request, refused)
    text = str(form.get("text", "")).strip()
    if not text:
        return _back(person, group, t.empty_message())
    if len(text) > TEXT_LIMIT:
        return _back(person, group, t.message_too_long(TEXT_LIMIT))
    chat_id = group.id if group else person.id
    reply_to = sandbox.message(chat_id, form["reply"]) if form.get("reply") else None
    update = await sandbox.send(person, text, group, reply_to)
    return _back(person, group, t.hidden_in_group() if update is None else None)


async def press(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    form = await request.post()
    try:
        person, group = _where(sandbox, form)
    except Refused as refused:
        return _refusal(request, refused)
    chat_id = group.id if group else person.id
    message = sandbox.message(chat_id, form.get("message", ""))
    try:
        index = int(str(form.get("button", "")))
    except ValueError:
        index = -1
    if message is None or not 0 <= index < len(message.buttons) or not message.buttons[index][1]:
        return _back(person, group, t.unknown_message())
    toast = await sandbox.press(person, message, index)
    return _back(person, group, f"{t.TOAST}{toast}" if toast else None)


async def upload(request: web.Request) -> web.Response:
    """The file streams in: what is over Telegram's limit is counted, not kept (the bot
    refuses it by the size Telegram reports, as it would in a real chat)."""
    sandbox = request.app[SANDBOX]
    if not request.content_type.startswith("multipart/"):  # a form without its file
        form = await request.post()
        try:
            person, group = _where(sandbox, form)
        except Refused as refused:
            return _refusal(request, refused)
        return _back(person, group, t.no_file())
    reader = await request.multipart()
    fields: dict[str, str] = {}
    person: Person | None = None
    while (part := await reader.next()) is not None:
        if part.name != "file":  # the plain fields come first (the form puts them first)
            fields[part.name or ""] = (await part.read(decode=True)).decode("utf-8", "replace")
            continue
        try:
            person, group = _where(sandbox, fields)
        except Refused as refused:
            return _refusal(request, refused)
        if group is not None:
            return _back(person, group, t.upload_only_private())
        file_name = part.filename
        if not file_name:
            return _back(person, None, t.no_file())
        kept = io.BytesIO()
        size = 0
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size <= SIZE_LIMIT:
                kept.write(chunk)
        if size == 0:
            return _back(person, None, t.no_file())
        content = kept.getvalue() if size <= SIZE_LIMIT else b""
        mime = part.headers.get("Content-Type") or None
        await sandbox.upload(person, content, file_name, size, mime)
        return _back(person, None)
    try:
        person, group = _where(sandbox, fields)
    except Refused as refused:
        return _refusal(request, refused)
    return _back(person, group, t.no_file())


async def clock(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    form = await request.post()
    try:
        person, group = _where(sandbox, form)
    except Refused as refused:
        return _refusal(request, refused)
    moment, pushes = await sandbox.next_workday()
    return _back(person, group, t.clock_moved(moment, pushes))


# -- files -------------------------------------------------------------------------------------

async def template(request: web.Request) -> web.Response:
    """The blank import workbook, as `dutybot template` writes it."""
    from bot.workbook_io import write_template
    from messages.imports import template_help

    def build() -> bytes:
        out = io.BytesIO()
        write_template(out, template_help())
        return out.getvalue()

    data = await asyncio.to_thread(build)
    return _download(data, "导入模板.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _download(data: bytes, name: str, content_type: str) -> web.Response:
    from urllib.parse import quote

    return web.Response(body=data, content_type=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def _sent(request: web.Request) -> Sent:
    sandbox = request.app[SANDBOX]
    try:
        chat_id = int(request.match_info["chat"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if chat_id not in sandbox.people and chat_id not in sandbox.groups:
        raise web.HTTPNotFound()
    message = sandbox.message(chat_id, request.match_info["message"])
    if message is None or not message.from_bot:
        raise web.HTTPNotFound()
    return message


async def file(request: web.Request) -> web.Response:
    message = _sent(request)
    if message.file is None:
        raise web.HTTPNotFound()
    return _download(message.file, message.file_name or "file",
                     (message.document or {}).get("mime_type") or "application/octet-stream")


async def photo(request: web.Request) -> web.Response:
    message = _sent(request)
    if message.photo is None:
        raise web.HTTPNotFound()
    return web.Response(body=message.photo, content_type="image/png")


# -- JSON ----------------------------------------------------------------------------------------

async def api_people(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    return web.json_response({
        "people": [{"id": p.id, "name": p.name, "role": p.role} for p in sandbox.people.values()],
        "groups": [{"id": g.id, "title": g.title} for g in sandbox.groups.values()],
        "clock": sandbox.clock.now().isoformat(),
    })


async def api_chat(request: web.Request) -> web.Response:
    """The chat as data: its version (changes with every new or edited message) and, unless
    `brief`, its messages as a person reads them."""
    sandbox = request.app[SANDBOX]
    try:
        person, group = _where(sandbox, request.query)
    except Refused as refused:
        return web.json_response({"error": refused.problem}, status=refused.status)
    chat_id = group.id if group else person.id
    body: dict[str, Any] = {"chat": chat_id, "version": sandbox.version(chat_id),
                            "clock": sandbox.clock.now().isoformat()}
    if not request.query.get("brief"):
        body["messages"] = [{
            "id": v["id"], "from_bot": v["from_bot"], "who": v["who"], "text": v["text"],
            "html": str(v["html"]), "photo": v["photo"], "document": v["document"],
            "file_name": v["file_name"], "edited": v["edited"],
            "buttons": [{"index": b["index"], "text": b["text"], "url": b["url"]}
                        for row in v["keyboard"] for b in row],
        } for v in (_view(sandbox, m, person, group) for m in sandbox.history(chat_id))]
    return web.json_response(body, dumps=_dumps)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


__all__ = ["make_app"]
