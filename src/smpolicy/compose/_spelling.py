"""British, Australian and Canadian spelling of the policy's own wording.

The templates are written in US English. For a policy whose language is en-GB,
en-AU or en-CA the rendered Markdown is respelled word by word, leaving alone
what is not our wording: names and titles from the profile and the packs,
addresses, link targets and code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# -or words that take -our, and the endings after which they still do ("honorary",
# "humorous" and "laborious" keep their US-looking form everywhere).
_OUR = re.compile(
    r"(behavio|colo|favo|hono|humo|labo|neighbo|rumo|endeavo|flavo|odo|vapo)r"
    r"(s|ed|ing|able|ably|ite|ites|ful|al|ally|hood|hoods|less)?"
)

# Other words spelled alike in British, Australian and Canadian English (-re, -ence, -ll-, ...).
_COMMONWEALTH = {
    "unfavorable": "unfavourable",
    "unfavorably": "unfavourably",
    "center": "centre",
    "centers": "centres",
    "centered": "centred",
    "theater": "theatre",
    "theaters": "theatres",
    "defense": "defence",
    "offense": "offence",
    "offenses": "offences",
    "license": "licence",
    "licenses": "licences",
    "counseling": "counselling",
    "counselor": "counsellor",
    "counselors": "counsellors",
    "canceled": "cancelled",
    "labeled": "labelled",
    "labeling": "labelling",
    "modeling": "modelling",
    "traveled": "travelled",
    "traveling": "travelling",
    "enrollment": "enrolment",
    "enrollments": "enrolments",
    "acknowledgment": "acknowledgement",
    "acknowledgments": "acknowledgements",
}

# British and Australian only (Canadian English keeps these US forms).
_BRITISH_AUSTRALIAN = {
    "fulfill": "fulfil",
    "fulfills": "fulfils",
    "pediatric": "paediatric",
    "pediatrics": "paediatrics",
    "anesthesia": "anaesthesia",
    "anesthetic": "anaesthetic",
    "gynecology": "gynaecology",
    "orthopedic": "orthopaedic",
    "aging": "ageing",
    "gray": "grey",
    "willful": "wilful",
    "skillful": "skilful",
}

_BRITISH_ONLY = {"program": "programme", "programs": "programmes"}

_IZE = re.compile(r"([a-z]{3,})([iy])z(e|ed|es|ing|ation|ations|ational|er|ers)")
_IZE_KEEP = ("size", "seize", "prize", "maize", "capsiz", "baize")
_WORD = re.compile(r"[A-Za-z]+")

# Never respelled: addresses, Markdown link targets and attribute blocks, code spans.
_FIXED = r"https?://\S+|mailto:\S+|\]\([^)]*\)|\{[#.][^}]*\}|`[^`]*`|\S+@\S+"


_TABLES: dict[str, dict[str, str]] = {
    "en-CA": _COMMONWEALTH,
    "en-AU": {**_COMMONWEALTH, **_BRITISH_AUSTRALIAN},
    "en-GB": {**_COMMONWEALTH, **_BRITISH_AUSTRALIAN, **_BRITISH_ONLY},
}


def table_for(language: str) -> dict[str, str] | None:
    """The word table for ``language``, or None where nothing is respelled (en-US)."""
    return _TABLES.get(language)


def respell_word(word: str, language: str) -> str:
    """One word in ``language``'s spelling, keeping its capitalization."""
    table = table_for(language)
    if table is None:
        return word
    lower = word.lower()
    new = table.get(lower)
    if new is None and (our := _OUR.fullmatch(lower)):
        new = f"{our[1]}ur{our[2] or ''}"
    if new is None and language in ("en-GB", "en-AU") and not lower.startswith(_IZE_KEEP):
        match = _IZE.fullmatch(lower)
        if match and not any(keep in lower for keep in _IZE_KEEP):
            new = f"{match[1]}{match[2]}s{match[3]}"
    if new is None or new == lower:
        return word
    if word.isupper() and len(word) > 1:
        return new.upper()
    if word[0].isupper():
        return new[0].upper() + new[1:]
    return new


@lru_cache(maxsize=8)
def _fixed_pattern(protected: tuple[str, ...]) -> re.Pattern[str]:
    phrases = sorted({p for p in protected if p.strip()}, key=len, reverse=True)
    alternatives = [re.escape(p) for p in phrases]
    return re.compile("|".join([_FIXED, *alternatives]))


def respell(text: str, language: str, protected: Iterable[str] = ()) -> str:
    """``text`` in ``language``'s spelling; ``protected`` phrases are left exactly as they are."""
    if table_for(language) is None:
        return text
    changed = _changed_words(text, language)
    if not changed:
        return text
    words = re.compile(r"\b(?:" + "|".join(sorted(changed, key=len, reverse=True)) + r")\b")
    fixed = _fixed_pattern(tuple(sorted({p for p in protected if words.search(p)})))
    out: list[str] = []
    start = 0
    for match in fixed.finditer(text):
        out.append(words.sub(lambda m: changed[m.group()], text[start : match.start()]))
        out.append(match.group())
        start = match.end()
    out.append(words.sub(lambda m: changed[m.group()], text[start:]))
    return "".join(out)


def _changed_words(text: str, language: str) -> dict[str, str]:
    """Each distinct word of ``text`` whose spelling changes, with its new form."""
    return {w: n for w in set(_WORD.findall(text)) if (n := respell_word(w, language)) != w}
