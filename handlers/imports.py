"""An admin sends the filled-in template (.xlsx) in private chat: it is imported whole."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.domain.permissions import is_admin
from bot.services.imports import (
    MAX_UPLOAD_BYTES,
    ImportRejected,
    UploadProblem,
    WorkbookRefused,
    check_upload,
)
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from messages.imports import (
    import_done,
    import_rejected,
    upload_in_group,
    upload_not_admin,
    upload_refused,
    workbook_refused,
)

_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xltx", ".xltm", ".xlsb", ".csv")


@refusing
async def on_document(update: Update, context: DutyContext) -> None:
    """Check the sender and the file before downloading it; then import all or nothing."""
    document = update.effective_message.document
    chat = update.effective_chat
    actor = await actor_of(update, context)
    name = document.file_name or ""
    if chat.type != chat.PRIVATE:
        # people share spreadsheets in unit groups all the time: only an admin's is answered
        if is_admin(actor) and name.lower().endswith(_SPREADSHEET_SUFFIXES):
            await reply(update, upload_in_group())
        return
    if not is_admin(actor):
        await reply(update, upload_not_admin())
        return
    problem = check_upload(name, document.mime_type, document.file_size)
    if problem is not None:
        await reply(update, upload_refused(problem, name, document.file_size or 0))
        return
    file = await document.get_file()
    data = bytes(await file.download_as_bytearray())
    if len(data) > MAX_UPLOAD_BYTES:  # Telegram did not say the size, or said it wrong
        await reply(update, upload_refused(UploadProblem.TOO_BIG, name, len(data)))
        return
    try:
        result = await context.services.imports.import_file(actor, data, name)
    except WorkbookRefused as refused:
        await reply(update, workbook_refused(refused, name))
        return
    except ImportRejected as rejected:
        await reply(update, import_rejected(rejected.errors, rejected.examples_skipped))
        return
    await reply(update, import_done(result, context.bot.username))


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
