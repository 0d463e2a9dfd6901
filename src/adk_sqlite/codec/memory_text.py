"""The text a memory is found by, and the terms a query looks for. Pure, no I/O.

Both sides go through one normaliser, so a query matches what was stored whatever its
spelling: Unicode NFKC (full-width letters, ligatures), accents removed (NFD, combining
marks dropped, except the voicing marks of kana), case folded. Words are runs of letters
and digits (``\\w``): punctuation separates words and is never part of one, so no query
character reaches a backend's query syntax; a symbol such as an emoji is a term of its
own, spelled ``u`` and its code point in hex. Inside a word, a change of script starts a
new word (``私はPythonで`` holds ``python``), and a run of CJK or other unspaced
ideographic or syllabic characters is also indexed as its overlapping pairs of characters
(bigrams), so a word inside an unspaced run is found by its own characters.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_QUERY_TERMS", "query_terms", "searchable_text"]

# More terms than this in one query are dropped (the first ones are kept).
MAX_QUERY_TERMS = 64

# A word, or one symbol character (emoji are category So: each is a term of its own).
_WORD = re.compile(r"\w+|[^\w\s]")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    kept: list[str] = []
    base = ""
    for character in decomposed:
        if not unicodedata.combining(character):
            base = character
        elif not _is_unspaced(base):
            continue  # an accent: é and e are one letter here (kana keep their marks)
        kept.append(character)
    return unicodedata.normalize("NFC", "".join(kept)).casefold()


def _is_unspaced(character: str) -> bool:
    """CJK ideographs, kana, hangul syllables and the like: scripts written without spaces."""
    name = unicodedata.name(character, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "IDEOGRAPHIC"))


def _script(character: str) -> str:
    if character.isdigit() or character == "_":
        return "digit"
    if _is_unspaced(character):
        return "unspaced"
    return unicodedata.name(character, "?").split(" ")[0]


def _words(text: str) -> list[str]:
    """The folded words of ``text``: runs of one script each."""
    words: list[str] = []
    for run in _WORD.findall(_fold(text)):
        if not run[0].isalnum() and run[0] != "_":
            if unicodedata.category(run[0]) == "So":
                # Spelled as a word, so any backend's tokenizer keeps it.
                words.append(f"u{ord(run[0]):x}")
            continue
        start = 0
        for index in range(1, len(run) + 1):
            if index == len(run) or (
                _script(run[index]) != _script(run[start])
                and not (
                    "digit" in (_script(run[index]), _script(run[start]))
                    and "unspaced" not in (_script(run[index]), _script(run[start]))
                )
            ):
                words.append(run[start:index])
                start = index
    return words


def _with_bigrams(word: str) -> list[str]:
    if len(word) > 2 and _is_unspaced(word[0]):
        return [word, *(word[i : i + 2] for i in range(len(word) - 1))]
    return [word]


def searchable_text(text: str) -> str:
    """The stored form of ``text``: its words, space-separated, unspaced runs' bigrams too."""
    return " ".join(term for word in _words(text) for term in _with_bigrams(word))


def query_terms(query: str) -> list[str]:
    """The distinct terms a query looks for, in order (at most `MAX_QUERY_TERMS`).

    An unspaced run is looked for by its bigrams (a single character by itself), so
    ``東京`` finds ``東京タワー`` and ``私は東京に``.
    """
    terms: list[str] = []
    for word in _words(query):
        if len(word) > 1 and _is_unspaced(word[0]):
            candidates = [word[i : i + 2] for i in range(len(word) - 1)]
        else:
            candidates = [word]
        for term in candidates:
            if term not in terms:
                terms.append(term)
    return terms[:MAX_QUERY_TERMS]
