"""The supervising body's name (SPEC §11 "Names", issue 22 §7): 纪委, 纪工委, 派驻纪检监察组
or 纪检组, depending on the organisation — one setting (`[names] supervisor` in the rules
file), used in every text.

HOW A TEXT NAMES THE BODY (for everyone writing a user-visible text):

- Never write 纪委, 纪委书记, 纪委委员 or 纪委群 literally in a text people see. Ask
  `messages.names` for the configured words at call time: `body()` (纪委 / 纪工委 / …),
  `head()` (纪委书记 / 纪检监察组组长 / …), `member()` (纪委委员 / 纪检组成员 / …) and
  `group()` (纪委群 / 纪工委群 / …), e.g. `f"提请{body()}督办"`.
- A text kept in a module-level constant (a dict of refusals, a sheet's 说明) is written as a
  template with the placeholders {纪委}, {纪委书记}, {纪委委员}, {纪委群} and filled when it
  is shown with `messages.names.say(template)`. Only our own templates are filled, before
  any user text is put in: a title a user typed that contains 纪委 stays as typed.
- 上级纪委 (the body above, to whom reports go) is another organisation's body and is not
  renamed; nor are the source texts' fixed terms quoted as data (追责情形 wording).
- Reading input accepts the configured words and the words of every body in `BODIES`
  (so a sheet made with the defaults still imports): see `bot.domain.vocabulary`.
- The setting is applied once at assembly (`bot.domain.vocabulary.configure_body`, called
  where the rules are loaded: `Services.open`, the console); tests that change it reset it
  with the `body_names` fixture in tests/conftest.py.

Here: the four bodies' words, as a typed table, and the one configured at the moment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BodyNames:
    """The words for one kind of supervising body."""

    body: str  # 纪委
    head: str  # 纪委书记
    member: str  # 纪委委员

    @property
    def group(self) -> str:
        """The kind of chat group the body's members work in: 纪委群."""
        return f"{self.body}群"

    def fields(self) -> dict[str, str]:
        """The template placeholders and their words (see the module docstring)."""
        return {"纪委": self.body, "纪委书记": self.head, "纪委委员": self.member,
                "纪委群": self.group}


BODIES: dict[str, BodyNames] = {
    "纪委": BodyNames("纪委", "纪委书记", "纪委委员"),
    "纪工委": BodyNames("纪工委", "纪工委书记", "纪工委委员"),
    "派驻纪检监察组": BodyNames("派驻纪检监察组", "纪检监察组组长", "纪检监察组成员"),
    "纪检组": BodyNames("纪检组", "纪检组组长", "纪检组成员"),
}

DEFAULT = BODIES["纪委"]


class UnknownBody(ValueError):
    """A supervising body's name outside the four."""


def body_named(word: str) -> BodyNames:
    """The body a setting names; `UnknownBody` (with a Chinese line) for any other word."""
    names = BODIES.get(word.strip())
    if names is None:
        allowed = "、".join(BODIES)
        raise UnknownBody(f"监督机构名称只能是 {allowed} 之一，现在写的是“{word}”")
    return names


_current: BodyNames = DEFAULT


def current() -> BodyNames:
    """The configured body's words (the default, 纪委, until `set_current`)."""
    return _current


def set_current(names: BodyNames) -> None:
    """Use `names` from now on. Called by `bot.domain.vocabulary.configure_body` only."""
    global _current
    _current = names
