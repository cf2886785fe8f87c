"""The judgement's reason in words for executives: no metric values, metric names or percentages.

"35% of the way from baseline to target (latest 0.64, target 0.90)" is for the team; an executive reads
"a third of the way from where we started to what the business needs". Dates and counts of weeks are said,
never measured values. Every function returns a phrase without digits except dates.
"""

from __future__ import annotations

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve")

_SHARES = (  # (at most this share, words)
    (0.08, "only just started on the way"),
    (0.18, "a small part of the way"),
    (0.29, "about a quarter of the way"),
    (0.41, "about a third of the way"),
    (0.55, "about half-way"),
    (0.62, "a little over half-way"),
    (0.72, "about two-thirds of the way"),
    (0.86, "about three-quarters of the way"),
    (0.999, "nearly all the way"),
    (1.0, "all the way"),
)

MISSING = {  # bot.progress.judgement._missing's phrases, said for a reader who does not set targets
    "the target is not set": "no target is agreed yet",
    "the baseline is not set": "no starting point is recorded",
    "the target is no better than the baseline": "the target is no better than where we started",
}


def count_words(n: int, thing: str) -> str:
    """3, "week" → "three weeks"; large counts in months or years so that no figure needs reading."""
    if n < 0:
        n = 0
    if thing == "week" and n > 12:
        months = n * 7 // 30
        return "over a year" if months >= 12 else f"{NUMBER_WORDS[months]} months"
    word = NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else "many"
    return f"{word} {thing}{'' if n == 1 else 's'}"


def share_words(share: float) -> str:
    """A share of the way, in words: 0.5 → "about half-way"."""
    for limit, words in _SHARES:
        if share <= limit:
            return words
    return "all the way"


def progress_words(share: float) -> str:
    return f"{share_words(share)} from where we started to what the business needs"


def closed_words(share: float) -> str:
    """How much of the remaining gap a jump closed."""
    if share >= 0.95:
        return "all of what was left"
    if share >= 0.7:
        return "most of what was left"
    if share >= 0.55:
        return "more than half of what was left"
    if share >= 0.45:
        return "about half of what was left"
    if share >= 0.38:
        return "almost half of what was left"
    if share >= 0.3:
        return "about a third of what was left"
    if share >= 0.2:
        return "about a quarter of what was left"
    return "some of what was left"


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]
