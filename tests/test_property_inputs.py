"""Property tests (issue 20, item 4): arbitrary Unicode at every entry point of the real
Application — each command with any arguments, each step of each guided flow, each button
prefix with any data, any document name — never reaches the error handler, and changes
nothing it should not.

What "should not" means differs by entry point, and is said at each test: a user without
the right changes nothing at all; a user with it may change the database only with a
success reply (✅ …), never with a refusal; a button changes something only if its data is
exactly what the bot itself emits (the grammar in messages/callbacks.py, restated here
independently).
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.services.errors import StaleButton
from bot.services.imports import XLSX_MIME
from messages.commands import ALL
from messages.refusals import refusal
from tests.fuzz import ANY_CHAR, FLOW_STEPS, TEXT, FlowDriver, Fuzzed

#: Deterministic and bounded, so the layer stays well under a minute on two cores; set
#: DUTYBOT_FUZZ_SCALE (e.g. 20) for a longer, randomised search.
SCALE = float(os.environ.get("DUTYBOT_FUZZ_SCALE", "1"))


def examples(count: int) -> settings:
    return settings(max_examples=max(1, int(count * SCALE)), deadline=None,
                    suppress_health_check=list(HealthCheck), derandomize=SCALE == 1,
                    database=None, print_blob=True)


@pytest.fixture
def fuzzed(settings, api, admin, clock):
    world = Fuzzed(settings, api, admin, clock).open()
    yield world
    world.close()


def replies_since(world: Fuzzed, chat_id: int, seen: int) -> list[str]:
    return [m.plain for m in world.api.bot_messages(chat_id)[seen:]]


#: done; a new invite; a note; the 台账 (an event); a 整改 sent back
SUCCESS = ("✅", "已为", "📝", "📎", "↩️")


def changed_with_success(replies: list[str]) -> bool:
    return any(r.startswith(SUCCESS) for r in replies)


# -- commands -----------------------------------------------------------------------------

COMMAND_NAMES = sorted({f"/{c.ascii}" for c in ALL} | {f"/{c.chinese}" for c in ALL if c.chinese})
SEPARATORS = (" ", "\n", "", "\u3000", "@dutybot_demo_bot ", "@other_bot ")
#: who sends: nobody here may change anything by a command, except the admin and the
#: 书记 and the 纪委 with the right arguments
UNPRIVILEGED = ("周支书", "李明", "stranger")


def test_any_command_with_any_arguments(fuzzed):
    """Every command (ASCII and Chinese form) with arbitrary arguments, from every kind of
    user, in private chat and in the groups."""
    stranger = fuzzed.api.user(77, "路人")

    @examples(300)
    @given(command=st.sampled_from(COMMAND_NAMES), separator=st.sampled_from(SEPARATORS),
           args=TEXT, who=st.sampled_from((*UNPRIVILEGED, "admin", "陈书记", "刘纪委")),
           where=st.sampled_from(("private", "discipline", "unit", "stray")))
    def check(command, separator, args, who, where):
        user = stranger if who == "stranger" else fuzzed.admin if who == "admin" \
            else fuzzed.user(who)
        chat = {"private": None, "discipline": fuzzed.discipline_group,
                "unit": fuzzed.unit_group, "stray": fuzzed.stray_group}[where]
        chat_id = chat.id if chat else user.id
        before, seen = fuzzed.snapshot(conversations=False), fuzzed.sent_to(chat_id)
        with fuzzed.watching():
            fuzzed.run(fuzzed.bot.send(user, f"{command}{separator}{args}", chat=chat))
        after = fuzzed.snapshot(conversations=False)
        if who in UNPRIVILEGED:
            assert after == before
        elif after != before:
            assert changed_with_success(replies_since(fuzzed, chat_id, seen))

    check()


# -- guided flows -------------------------------------------------------------------------


def test_any_answer_at_any_step_of_any_flow(fuzzed):
    """Start each flow, walk it to each of its steps, answer with arbitrary text. A refused
    answer (⚠️ and the question again) changes nothing, not even the flow's own state; an
    accepted one moves the flow on, and only the last step's success changes the world."""
    flows = FlowDriver(fuzzed)

    @examples(240)
    @given(step=st.sampled_from(FLOW_STEPS), text=TEXT)
    def check(step, text):
        user, chat = flows.who(step), flows.chat(step)
        chat_id = chat.id if chat else user.id
        fuzzed.run(flows.reach(step))
        before, seen = fuzzed.snapshot(), fuzzed.sent_to(chat_id)
        with fuzzed.watching():
            fuzzed.run(fuzzed.bot.send(user, text, chat=chat))
        after, replies = fuzzed.snapshot(), replies_since(fuzzed, chat_id, seen)
        assert replies or not text.strip(), "an answer is answered (Telegram carries no blank text)"
        if any("⚠️" in r for r in replies):
            assert after == before, replies
        domain = {k: v for k, v in after.items() if k != "conversations"}
        if domain != {k: v for k, v in before.items() if k != "conversations"}:
            flows.forget(step.flow)  # used up: the next example makes a fresh one
            assert changed_with_success(replies), replies
        fuzzed.run(fuzzed.bot.send(user, "/取消", chat=chat))

    check()


# -- free text and replies ----------------------------------------------------------------


def test_any_text_and_any_reply(fuzzed):
    """Plain text outside a flow (in private chat, and in a group nobody bound), and text
    replying to the bot's messages (a note on an item, in private chat and in a group):
    a note is the only change it may make."""
    zhou = fuzzed.user("周支书")
    code = fuzzed.codes["measure"]
    targets = {}

    async def prepare() -> None:
        for who, chat, line in ((zhou, None, f"/mylist {code}"), (zhou, None, "/mylist"),
                                (zhou, None, "/help"),
                                (zhou, fuzzed.unit_group, f"/mylist {code}"),
                                (fuzzed.user("李明"), None, "/overdue")):
            await fuzzed.bot.send(who, line, chat=chat)
            targets[(who.first_name, line, bool(chat))] = (
                who, chat, fuzzed.api.last(chat.id if chat else who.id))

    fuzzed.run(prepare())
    keys = sorted(targets)

    @examples(120)
    @given(target=st.sampled_from([None, "stray", *keys]), text=TEXT)
    @example(target="stray", text=" \u3000")  # once an IndexError in the guard
    def check(target, text):
        if target is None:
            user, chat, replied = zhou, None, None
        elif target == "stray":  # a group nobody bound: the bot keeps quiet there
            user, chat, replied = zhou, fuzzed.stray_group, None
        else:
            user, chat, replied = targets[target]
        chat_id = chat.id if chat else user.id
        before, seen = fuzzed.snapshot(), fuzzed.sent_to(chat_id)
        with fuzzed.watching():
            fuzzed.run(fuzzed.bot.send(user, text, chat=chat, reply_to=replied))
        replies = replies_since(fuzzed, chat_id, seen)
        if fuzzed.snapshot() != before:
            assert changed_with_success(replies), replies
        fuzzed.run(fuzzed.bot.send(user, "/cancel", chat=chat))  # a flow 'which item?'

    check()


# -- buttons ------------------------------------------------------------------------------

#: What the bot's buttons carry (messages/callbacks.py), restated here on purpose: a button
#: changes something only with data of exactly this form.
_ID = r"[1-9][0-9]{0,18}"
_PAGE = r"(?:0|[1-9][0-9]{0,3})"
CANONICAL = re.compile(rf"""
      f:[0-9a-f]{{8}}:(?:0|[1-9][0-9]?|ok|skip|x)
    | lp:{_ID}:{_PAGE}
    | zl:(?:open|overdue|pending|closed|all):(?:0|{_ID})
    | tk:new
    | it:(?:ack|go|done|ext|st):{_ID}:(?:d|c|l{_PAGE})
    | ex:(?:ok|no):{_ID}(?::p)?
    | ex:wd:{_ID}
    | zg:(?:ok|back):{_ID}
""", re.VERBOSE)

_PREFIXES = ("f", "lp", "zl", "tk", "it", "ex", "zg", "", "IT", "it ", "f\u200b")
_NUMBERS = ("0", "1", "2", "3", "4", "5", "7", "12", "01", "-1", "+3", " 3", "3 ", "٣", "²",
            "３", "𝟛", "1_0", "9" * 19, "9" * 40, "1e3", "0x1", "3.0", "")
_WORDS = ("ack", "go", "done", "ext", "st", "ok", "no", "wd", "back", "new", "open", "all",
          "pending", "closed", "overdue", "d", "c", "p", "l0", "l1", "l٣", "l00", "l99999",
          "skip", "x", "OK", "ack\x00", "")
PART = st.one_of(st.sampled_from(_NUMBERS), st.sampled_from(_WORDS), st.text(ANY_CHAR,
                                                                              max_size=4))
STRUCTURED = st.builds(lambda prefix, parts: ":".join([prefix, *parts]),
                       st.sampled_from(_PREFIXES), st.lists(PART, max_size=5))


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")  # int('٣') == 3


def stale_toast() -> str:
    return refusal(StaleButton())


def test_any_button_data(fuzzed):
    """Forged presses: any prefix, any fields, any text, on the bot's own messages, by
    the owner and by others. What the bot does not emit is a stale-button toast and
    changes nothing; what it does emit may act (it is re-checked as always)."""
    zhou, liu = fuzzed.user("周支书"), fuzzed.user("刘纪委")
    messages = []

    async def prepare() -> None:
        for who, line in ((zhou, f"/mylist {fuzzed.codes['measure']}"), (zhou, "/mylist"),
                          (liu, "/整改"), (liu, "/约谈"), (fuzzed.admin, "/新建"),
                          (zhou, "/汇报")):
            await fuzzed.bot.send(who, line)
            messages.append(fuzzed.api.last(who.id))

    fuzzed.run(prepare())
    users = (zhou, liu, fuzzed.user("李明"), fuzzed.admin, fuzzed.api.user(77, "路人"))

    real = sorted({data for m in messages for _, data in m.buttons})
    own_item = next(d for _, d in messages[0].buttons if d.startswith("it:go:"))
    assert any(d.startswith("f:") for d in real) and any(d.startswith("it:") for d in real)
    assert all(CANONICAL.fullmatch(d) for d in real), real  # the grammar is the bot's own

    @st.composite
    def mutated(draw) -> str:
        """A button the bot really sent, with one field replaced, added or dropped."""
        parts = draw(st.sampled_from(real)).split(":")
        where = draw(st.integers(0, len(parts)))
        how = draw(st.sampled_from(("replace", "insert", "drop")))
        if how == "drop" and where < len(parts):
            del parts[where]
        elif how == "replace" and where < len(parts):
            parts[where] = draw(PART)
        else:
            parts.insert(where, draw(PART))
        return ":".join(parts)

    @examples(400)
    @given(data=st.one_of(st.text(ANY_CHAR, max_size=70), STRUCTURED, mutated(),
                          st.sampled_from(real)),
           message=st.sampled_from(messages), user=st.sampled_from(users))
    @example(data=own_item.translate(ARABIC_INDIC), message=messages[0], user=zhou)  # moved it
    def check(data, message, user):
        before, toasts = fuzzed.snapshot(), fuzzed.toasts()
        with fuzzed.watching():
            fuzzed.run(fuzzed.bot.press_data(user, message, data))
        answers = [a.text for a in fuzzed.api.callback_answers[toasts:]]
        if CANONICAL.fullmatch(data) is None:
            assert answers == [stale_toast()], (data, answers)
            assert fuzzed.snapshot() == before
        else:
            assert len(answers) >= 1, data  # every press is answered

    check()


# -- documents ----------------------------------------------------------------------------

NAMES = st.one_of(st.none(), TEXT, TEXT.map(lambda t: t + ".xlsx"),
                  st.sampled_from(("台账.xlsx", "a.XLSX", ".xlsx", "x.xls", "宏.xlsm", "..",
                                   "a.xlsx\u202egpj.exe", "\x00.xlsx", "a" * 300 + ".xlsx")))


def test_any_document(fuzzed):
    """Files of any name and kind from the admin and others, in private chat and in a
    group: a refusal in one line, or silence in a group; nothing is imported."""
    users = (fuzzed.admin, fuzzed.user("周支书"))

    @examples(60)
    @given(name=NAMES, mime=st.sampled_from((None, "application/octet-stream", XLSX_MIME,
                                             "text/csv", "image/png")),
           content=st.binary(max_size=64), user=st.sampled_from(users),
           in_group=st.booleans())
    def check(name, mime, content, user, in_group):
        chat = fuzzed.unit_group if in_group else None
        chat_id = chat.id if chat else user.id
        before, seen = fuzzed.snapshot(), fuzzed.sent_to(chat_id)
        with fuzzed.watching():
            fuzzed.run(fuzzed.bot.upload(user, content, name, chat=chat, mime_type=mime))
        assert fuzzed.snapshot() == before
        if not in_group:
            assert len(replies_since(fuzzed, chat_id, seen)) == 1

    check()
