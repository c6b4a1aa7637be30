"""Long polling into the durable inbox.

PTB's own updater confirms a batch (the next getUpdates' offset) while its handlers may
still run, so a kill in between loses those updates. Here a batch is stored first, and
only the poll after that confirms it: whatever moment the process dies, every update is
either still at Telegram or in the inbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Callable
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import Conflict, RetryAfter
from telegram.warnings import PTBUserWarning

from bot.inbound.lanes import lane_of
from bot.scheduling.rate_limit import retry_after_seconds
from bot.services.inbox import InboxService
from storage.inbox import Inbound

log = logging.getLogger("dutybot.inbound")

# getUpdates through do_api_request on purpose: the raw JSON is what the inbox stores
warnings.filterwarnings("ignore", message=r".*Bot\.getUpdates", category=PTBUserWarning)

POLL_SECONDS = 10  # long-poll timeout asked of Telegram
# what the bot answers (an edited message gets a hint); channel posts, reactions, polls and
# the like are never asked for
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
MAX_BACKOFF = 30.0


class Poller:
    def __init__(self, bot: Bot, inbox: InboxService, stored: Callable[[], None],
                 timeout: int = POLL_SECONDS) -> None:
        self.bot = bot
        self.inbox = inbox
        self.stored = stored  # told after each stored batch
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dutybot-poller")

    async def stop(self) -> None:
        """Stop asking; what was stored stays stored (the next start confirms it)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        offset: int | None = None
        started = False
        failures = 0
        webhook_gone = False
        while True:
            try:
                if not started:  # where the last run stopped: the next poll confirms it
                    last = await self.inbox.last_received()
                    offset, started = (last + 1 if last is not None else None), True
                # polling and a webhook exclude each other
                webhook_gone = webhook_gone or await self._remove_webhook()
                batch = await self._poll(offset)
                failures = 0
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except Exception as exc:  # the network, a proxy's error page, a webhook set again
                if isinstance(exc, Conflict):
                    webhook_gone = False
                failures += 1
                wait = min(MAX_BACKOFF, 0.5 * 2 ** failures)
                log.warning("getUpdates failed (%s); trying again in %.1f s", exc, wait)
                await asyncio.sleep(wait)
                continue
            if not batch:
                continue
            try:
                await self.inbox.store([Inbound(u["update_id"], lane_of(u), u) for u in batch])
            except Exception:  # not stored, so not confirmed: Telegram hands it out again
                log.exception("could not store %s updates; asking again", len(batch))
                await asyncio.sleep(1)
                continue
            offset = batch[-1]["update_id"] + 1  # the next poll confirms the batch
            self.stored()

    async def _remove_webhook(self) -> bool:
        """A webhook left from an earlier webhook run would have Telegram answer 409 to
        every poll: removed, keeping the updates it holds, and said so in one line."""
        info = await self.bot.get_webhook_info()
        if info.url:
            await self.bot.delete_webhook(drop_pending_updates=False)
            log.warning("removed the webhook of an earlier webhook run (to %s, %s updates "
                        "waiting): polling now", urlsplit(info.url).netloc,
                        info.pending_update_count)
        return True

    async def _poll(self, offset: int | None) -> list[dict]:
        """The raw updates, as Telegram sent them."""
        kwargs: dict = {"timeout": self.timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            kwargs["offset"] = offset
        result = await self.bot.do_api_request("getUpdates", api_kwargs=kwargs,
                                                read_timeout=self.timeout + 10)
        return [u for u in result or [] if isinstance(u, dict) and isinstance(
            u.get("update_id"), int)]
