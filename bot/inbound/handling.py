"""Handling one stored update: its change, its "done" mark and its answers in one
transaction, then the answers sent at once."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from handlers.answers import Answers, collecting
from storage.inbox import Inbound


async def handle(app: Application, row: Inbound) -> None:
    """Run the handlers on one update from the inbox. Killed before the commit, nothing of
    it happened and it is handled again after a restart; killed after, its answers wait in
    the outbox and go out after the restart. An error the error handler saw undoes the
    change (its apology stays). An update that changed nothing is answered at once and then
    marked done (killed in between, it is handled and answered again)."""
    data = app.bot_data
    answers = Answers()
    update = Update.de_json(row.payload, app.bot)
    with collecting(answers):
        async with data.services.db.one_update() as scope:
            await app.process_update(update)
            if answers.failed:
                await scope.rollback()
            calls = answers.calls
            if not scope.open:  # it changed nothing: answered before it is marked done,
                # so a reader never waits for someone else's write to answer
                calls = await data.sender.answer_at_once(calls)
            queued = await data.services.inbox.finish(row.update_id, calls)
            await scope.commit()
    # handled for good now: nothing after this may make it be handled again
    try:
        await data.sender.send_now(queued)
    finally:
        await data.services.inbox.done(row.update_id)
