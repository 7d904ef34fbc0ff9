"""Reading a conversation for the two spoken signals: a user asking for a human, a bot handing off.

Both read the whole episode oldest first, because order matters: a request holds until
the user withdraws it, an offer of a human becomes a request when the user says yes,
and a bot's "I can't" counts only while it is the bot's latest word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from escalation.case import Message, Role
from escalation.phrasebook import PhraseBook, Prepared
from escalation.text import LANGUAGES, words

USER_GUARDS = ("negation", "hypothetical", "not_request")
BOT_GUARDS = ("negation", "hypothetical")
LACKS_GUARDS = ("negation", "hypothetical", "alternative", "clarify")
BOT_COMMITMENTS = ("bot_escalated", "bot_later", "bot_contact")


@dataclass(frozen=True)
class Evidence:
    """Where a signal was found: what kind of evidence, the message and the words quoted.

    `kind` is a phrase family (`user_request`, `user_accept`, `bot_escalated`,
    `bot_later`, `bot_contact`, `bot_lacks`, `bot_not_understood`) or one of
    `handoff_message`, `always_topic`, `out_of_scope_topic`, `off_subject_words`,
    `workflow`; `subject` names what it concerns (the sub agent, topic or words).
    """

    kind: str
    message_index: int
    quote: str
    subject: str | None = None


def read_user_request(
    messages: Sequence[Message], book: PhraseBook, fallback: tuple[str, ...] = LANGUAGES
) -> Evidence | None:
    """The user's standing request for a human in this episode, if any."""
    standing: Evidence | None = None
    offer: Prepared | None = None
    for index, message in enumerate(messages):
        if message.role is Role.BOT:
            prepared = book.prepare(message.text, fallback)
            offer = prepared if book.find("bot_offer", prepared, guards=BOT_GUARDS) else None
        elif message.role is Role.USER:
            prepared = book.prepare(message.text, fallback)
            standing = _after_user_message(prepared, index, book, standing, offer)
            offer = None
    return standing


def _after_user_message(
    message: Prepared,
    index: int,
    book: PhraseBook,
    standing: Evidence | None,
    offer: Prepared | None,
) -> Evidence | None:
    """Replay one user message's requests and withdrawals in the order they were written."""
    events: list[tuple[int, Evidence | None]] = [
        (hit.start, Evidence("user_request", index, message.quote(hit)))
        for hit in book.find("user_request", message, guards=USER_GUARDS)
    ]
    if offer is not None and _answers(message, offer, book, "user_accept"):
        events.append((0, Evidence("user_accept", index, message.original.strip())))
    elif offer is not None and _answers(message, offer, book, "user_decline"):
        events.append((0, None))
    if standing is not None or events:
        events += [(hit.start, None) for hit in book.find("user_withdraw", message)]
    for _, event in sorted(events, key=lambda item: item[0]):
        standing = event
    return standing


def _answers(reply: Prepared, offer: Prepared, book: PhraseBook, family: str) -> bool:
    """A "yes" (`user_accept`) or "no" (`user_decline`) to the bot's offer of a human.

    A short reply is read in the offer's languages too.
    """
    languages = tuple(dict.fromkeys((*reply.languages, *offer.languages)))
    return bool(book.find(family, replace(reply, languages=languages)))


def read_bot_handoff(
    messages: Sequence[Message],
    book: PhraseBook,
    handoff_messages: dict[str, str],
    fallback: tuple[str, ...] = LANGUAGES,
) -> Evidence | None:
    """The bot's confirmed handoff statement in this episode, if any.

    Commitments (escalated, will check later, will contact) and lacks (no access, not
    able to) hold once said: the need stays unmet even if the talk moves on. That the bot
    does not understand counts only in its latest message: after it, the user rephrased
    and the bot went on helping.
    A sub agent's own `handoff_message` is reported as kind `handoff_message`.
    Those two come first, since they hand over even while details are missing.
    """
    bot_turns = [(i, m) for i, m in enumerate(messages) if m.role in (Role.BOT, Role.SYSTEM)]
    for index, message in bot_turns:
        own = _own_handoff_message(message.text, handoff_messages)
        if own is not None:
            return Evidence("handoff_message", index, message.text.strip(), subject=own)
    last_bot = _last_index(messages, Role.BOT)
    if last_bot >= 0:
        confused = _family(messages[last_bot], last_bot, book, "bot_not_understood", fallback)
        if confused is not None:
            return confused
    return next(
        (e for i, m in bot_turns if (e := _commitment(m, i, book, fallback)) is not None), None
    )


def _commitment(
    message: Message, index: int, book: PhraseBook, fallback: tuple[str, ...]
) -> Evidence | None:
    for family in (*BOT_COMMITMENTS, "bot_lacks"):
        found = _family(message, index, book, family, fallback)
        if found is not None:
            return found
    return None


def _family(
    message: Message, index: int, book: PhraseBook, family: str, fallback: tuple[str, ...]
) -> Evidence | None:
    """A bot or system message's first hit of one family, as evidence.

    Platform events ("Conversazione trasferita all'operatore Maria") are too short for
    their language to show, so system messages are read in every covered language.
    """
    prepared = book.prepare(message.text, fallback)
    if message.role is Role.SYSTEM:
        prepared = replace(prepared, languages=LANGUAGES)
    guards = LACKS_GUARDS if family in ("bot_lacks", "bot_not_understood") else BOT_GUARDS
    hits = book.find(family, prepared, guards=guards)
    return Evidence(family, index, prepared.quote(hits[0])) if hits else None


def _own_handoff_message(text: str, handoff_messages: dict[str, str]) -> str | None:
    said = words(text)
    for name, configured in handoff_messages.items():
        wanted = words(configured)
        size = len(wanted)
        if size and any(said[i : i + size] == wanted for i in range(len(said) - size + 1)):
            return name
    return None


def _last_index(messages: Sequence[Message], role: Role) -> int:
    return max((i for i, m in enumerate(messages) if m.role is role), default=-1)
