"""Flesch reading ease, the standard formula, with a simple syllable counter (no dependency for one number).

206.835 − 1.015 × (words / sentences) − 84.6 × (syllables / words). A sentence ends at . ! or ? (before a
space or the end, closing marks such as ) ] _ * allowed in between), as in textstat; lines are not sentences.
Words are runs of letters or digits; a number counts as one word of one syllable per digit group, as people
read "2027" or "0.74" quickly.
Syllables: groups of vowels (y included), less a silent final e, at least one a word. Slack emoji codes
(":rocket:") are pictures to a reader, not words, and are left out.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'][A-Za-z0-9]+)*")
SENTENCE_END = re.compile(r"[.!?]+[\])_*\"'`]*(?=\s|$)")
VOWELS = re.compile(r"[aeiouy]+")


EMOJI = re.compile(r":[a-z0-9_+\-]+:")


def words(text: str) -> list[str]:
    return WORD.findall(EMOJI.sub(" ", text))


def syllables(word: str) -> int:
    if word[0].isdigit():
        return len(re.findall(r"\d+", word))
    w = word.lower()
    count = len(VOWELS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def sentences(text: str) -> int:
    parts = [p for p in SENTENCE_END.split(text) if words(p)]
    return max(1, len(parts))


def flesch_reading_ease(text: str) -> float:
    found = words(text)
    if not found:
        return 0.0
    return (206.835 - 1.015 * (len(found) / sentences(text))
            - 84.6 * (sum(syllables(w) for w in found) / len(found)))
