"""The conversations and queries of the memory benchmark: seeded, the same in every process.

A conversation is one ADK ``Session`` of ``EVENTS_PER_SESSION`` events, user and model
turns alternating. Their text is sentences drawn from a fixed vocabulary of everyday
English with Zipf-like weights (a few words in most events, most words in few), and one
event in ten also holds a rare word (one of ``RARE_WORDS`` made-up words, each in a
handful of events of the whole corpus), so some queries hit almost everything and some
hit a few memories. Everything is a function of the session's number and the seed, so
every backend ingests the same bytes and answers the same queries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from google.adk.events.event import Event
from google.genai import types

APP = "bench"
EVENTS_PER_SESSION = 100
SEED = 20260415
RARE_WORDS = 5000
RARE_SHARE = 0.1  # the share of events holding a rare word

_SUBJECTS = (
    "I", "we", "my manager", "the customer", "our team", "the vendor", "my sister",
    "the landlord", "the doctor", "the new hire", "our accountant", "the driver",
)  # fmt: skip
_VERBS = (
    "need", "want", "booked", "cancelled", "moved", "checked", "asked about", "forgot",
    "paid", "ordered", "returned", "scheduled", "compared", "updated", "reviewed",
    "shipped", "lost", "found", "renewed", "planned", "discussed", "fixed", "reported",
)  # fmt: skip
_OBJECTS = (
    "the flight", "the invoice", "a table", "the report", "the meeting", "a refund",
    "the package", "the subscription", "the hotel", "the appointment", "the contract",
    "the budget", "a laptop", "the password", "the car", "the insurance", "a ticket",
    "the order", "the train", "the apartment", "the schedule", "the backup", "the loan",
    "the prescription", "the delivery", "the account", "the warranty", "the visa",
)  # fmt: skip
_PLACES = (
    "in Paris", "in Berlin", "in Tokyo", "at the office", "downtown", "near the station",
    "in Lisbon", "at home", "in Madrid", "in Chicago", "online", "at the airport",
    "in Toronto", "in Seoul", "at the clinic", "in Oslo", "by the river",
)  # fmt: skip
_TIMES = (
    "on Monday", "on Tuesday", "tomorrow", "next week", "this weekend", "last month",
    "before noon", "after lunch", "on Friday", "in March", "in the evening", "today",
    "yesterday", "by the end of the quarter", "in two days", "on Sunday",
)  # fmt: skip
_FILLERS = (
    "because the price went up", "since the weather looks bad", "and it was urgent",
    "but nobody answered", "so I called support", "although the deadline moved",
    "as we agreed", "while the system was down", "after the last incident",
    "because of the holiday", "and the receipt is missing", "to save some money",
)  # fmt: skip
_MODEL_OPENERS = (
    "Sure, here is what I found.", "I can help with that.", "Done.",
    "Here are the options.", "Good question.", "Let me summarise.", "Noted.",
    "I checked the details.", "That should work.", "I have updated the plan.",
)  # fmt: skip
_MODEL_ADVICE = (
    "You should confirm {o} {t}.", "The best option is to rebook {o} {p}.",
    "I recommend comparing prices for {o} {t}.", "Remember to keep the receipt for {o}.",
    "The total for {o} comes to {n} euros.", "There are {n} slots left {t} {p}.",
    "Your reference number for {o} is {n}.", "It would be cheaper to move {o} to {t}.",
)  # fmt: skip


def _zipf_choice(rng: random.Random, words: tuple[str, ...]) -> str:
    """A word of ``words``, the first ones much more often (weight 1 / rank)."""
    weights = _WEIGHTS.setdefault(len(words), [1.0 / (rank + 1) for rank in range(len(words))])
    return rng.choices(words, weights=weights)[0]


_WEIGHTS: dict[int, list[float]] = {}


def rare_words() -> list[str]:
    """``RARE_WORDS`` distinct made-up words of 3-4 syllables (not English words)."""
    rng = random.Random(SEED)
    onsets = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "qu", "th")
    vowels = ("a", "e", "i", "o", "u", "ai", "ou")
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < RARE_WORDS:
        syllables = rng.randint(3, 4)
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables)) + "x"
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


_RARE = rare_words()


def _user_text(rng: random.Random) -> str:
    subject = _zipf_choice(rng, _SUBJECTS)
    text = (
        f"{subject} {_zipf_choice(rng, _VERBS)} {_zipf_choice(rng, _OBJECTS)}"
        f" {_zipf_choice(rng, _PLACES)} {_zipf_choice(rng, _TIMES)}"
    )
    if rng.random() < 0.5:
        text += f" {_zipf_choice(rng, _FILLERS)}"
    text = text[0].upper() + text[1:] + "."
    if rng.random() < 0.3:
        text += f" Can you check {_zipf_choice(rng, _OBJECTS)} too?"
    return text


def _model_text(rng: random.Random) -> str:
    sentences = [_zipf_choice(rng, _MODEL_OPENERS)]
    for _ in range(rng.randint(1, 3)):
        template = _zipf_choice(rng, _MODEL_ADVICE)
        sentences.append(
            template.format(
                o=_zipf_choice(rng, _OBJECTS),
                t=_zipf_choice(rng, _TIMES),
                p=_zipf_choice(rng, _PLACES),
                n=rng.randint(2, 9999),
            )
        )
    return " ".join(sentences)


def event_text(session: int, index: int) -> str:
    """The text of event ``index`` (even: the user's, odd: the model's) of a session."""
    rng = random.Random(SEED * 1_000_003 + session * 1009 + index)
    text = _user_text(rng) if index % 2 == 0 else _model_text(rng)
    if rng.random() < RARE_SHARE:
        text += f" It mentions {rng.choice(_RARE)}."
    return text


def session_id(session: int) -> str:
    return f"s{session:06d}"


def make_events(session: int, *, base_timestamp: float) -> list[Event]:
    """The ``EVENTS_PER_SESSION`` events of one conversation, ids unique across sessions."""
    events = []
    for index in range(EVENTS_PER_SESSION):
        user = index % 2 == 0
        events.append(
            Event(
                id=f"{session_id(session)}-e{index:03d}",
                invocation_id=f"{session_id(session)}-inv{index // 2}",
                author="user" if user else "assistant",
                timestamp=base_timestamp + session * EVENTS_PER_SESSION + index,
                content=types.Content(
                    role="user" if user else "model",
                    parts=[types.Part(text=event_text(session, index))],
                ),
            )
        )
    return events


@dataclass(frozen=True, slots=True)
class Query:
    """A search the workload times: its kind, its text, and what it must find.

    ``expect`` is "hits" (at least one memory at every snapshot), "nothing", or "any"
    (a rare word only the last sessions hold: nothing at the early snapshots).
    """

    kind: str  # "common", "rare", "multi" or "none"
    text: str
    expect: str


def queries(sessions: int) -> list[Query]:
    """The fixed query set: 10 common words, 10 rare, 10 multi-word, 5 that find nothing.

    The rare words are ones the first session (so every snapshot) holds, plus ones only
    later sessions hold; the multi-word queries mix common and rare words.
    """
    rng = random.Random(SEED + 1)
    common = ["flight", "invoice", "monday", "paris", "refund", "meeting", "hotel", "budget",
              "report", "tomorrow"]  # fmt: skip
    early = sorted({rare_word_of(0, index) for index in range(EVENTS_PER_SESSION)} - {""})
    last = range(max(1, sessions - 3), sessions)
    late = sorted({rare_word_of(s, i) for s in last for i in range(40)} - {""})
    rare = [Query("rare", word, "hits") for word in early[:5]]
    rare += [Query("rare", word, "any") for word in (late or early)[:5]]
    multi = [
        f"{rng.choice(common)} {rng.choice(common)} {rng.choice(_RARE)}",
        "cancelled the flight to Tokyo",
        "refund for the package delivery",
        "hotel in Lisbon next week",
        f"what was the reference number for {rng.choice(early)}",
        "meeting with my manager on Friday",
        "insurance warranty prescription",
        "which laptop did we order",
        f"{rng.choice(early)} {rng.choice(late or early)}",
        "budget report by the end of the quarter",
    ]
    nothing = ["xylophone", "quasar nebula", "zzzyzx", "photosynthesis chlorophyll", "kangaroo"]
    return [
        *(Query("common", word, "hits") for word in common),
        *rare,
        *(Query("multi", text, "hits") for text in multi),
        *(Query("none", text, "nothing") for text in nothing),
    ]


def rare_word_of(session: int, index: int) -> str:
    """The rare word event ``index`` of ``session`` holds, or ""."""
    text = event_text(session, index)
    marker = " It mentions "
    return text.rsplit(marker, 1)[1].rstrip(".") if marker in text else ""
