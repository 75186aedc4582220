"""The embedded data: English number words and their French translation, generated.

A real mapping with irregularities, so a model has to learn more than a word list:
French counts in twenties from 60 to 99 ("soixante-dix" is 70, "quatre-vingt-dix-sept"
97), joins 21, 31, ... 71 with "et" ("vingt et un", "soixante et onze") but not 81 or
91, writes "quatre-vingts" and "deux cents" with an s only at the end of the number
("quatre-vingt-un", "deux cent un", "quatre-vingt mille", "deux cent mille"), never
says "un mille" ("mille", "deux mille": mille is invariable), and puts hyphens between
tens and units below 100 (the traditional rule; the 1990 reform hyphenates everything,
which we do not use). English: "ninety-seven", "three hundred five", "one thousand".

Torch-free: the hook module's loader and the tests use it directly.
"""

from __future__ import annotations

import random

EN_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
]  # fmt: skip
EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
FR_UNITS = [
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
    "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit",
    "dix-neuf",
]  # fmt: skip
FR_TENS = ["", "", "vingt", "trente", "quarante", "cinquante", "soixante"]
LIMIT = 1_000_000


def english(n: int) -> str:
    """``n`` (0 <= n < 1,000,000) in English words, American style (no "and")."""
    _check(n)
    if n == 0:
        return "zero"
    thousands, rest = divmod(n, 1000)
    words = []
    if thousands:
        words.append(f"{_english_below_1000(thousands)} thousand")
    if rest:
        words.append(_english_below_1000(rest))
    return " ".join(words)


def _english_below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [f"{EN_UNITS[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, units = divmod(rest, 10)
        words.append(EN_TENS[tens] + (f"-{EN_UNITS[units]}" if units else ""))
    elif rest:
        words.append(EN_UNITS[rest])
    return " ".join(words)


def french(n: int) -> str:
    """``n`` (0 <= n < 1,000,000) in French words, traditional spelling."""
    _check(n)
    if n == 0:
        return "zéro"
    thousands, rest = divmod(n, 1000)
    words = []
    if thousands == 1:
        words.append("mille")  # never "un mille"
    elif thousands:
        # Before "mille" the number is not at the end: "quatre-vingt mille", "deux cent
        # mille" lose their plural s; "mille" itself never takes one.
        words.append(f"{_french_below_1000(thousands, final=False)} mille")
    if rest:
        words.append(_french_below_1000(rest, final=True))
    return " ".join(words)


def _french_below_1000(n: int, final: bool) -> str:
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds == 1:
        words.append("cent")  # never "un cent"
    elif hundreds:
        # "deux cents" ends the number with an s; "deux cent un", "deux cent mille" not.
        plural = final and rest == 0
        words.append(f"{FR_UNITS[hundreds]} cent{'s' if plural else ''}")
    if rest:
        words.append(_french_below_100(rest, final))
    return " ".join(words)


def _french_below_100(n: int, final: bool) -> str:
    if n < 20:
        return FR_UNITS[n]
    tens, units = divmod(n, 10)
    if tens in (7, 9):  # 70-79 = 60 + 10-19, 90-99 = 80 + 10-19
        base = "soixante" if tens == 7 else "quatre-vingt"
        teen = FR_UNITS[10 + units]
        joiner = " et " if n == 71 else "-"  # "soixante et onze", "quatre-vingt-onze"
        return f"{base}{joiner}{teen}"
    if tens == 8:
        if units == 0:
            return "quatre-vingts" if final else "quatre-vingt"
        return f"quatre-vingt-{FR_UNITS[units]}"  # no "et": "quatre-vingt-un"
    if units == 0:
        return FR_TENS[tens]
    if units == 1:
        return f"{FR_TENS[tens]} et un"  # "vingt et un" ... "soixante et un"
    return f"{FR_TENS[tens]}-{FR_UNITS[units]}"


def _check(n: int) -> None:
    if not 0 <= n < LIMIT:
        raise ValueError(f"{n} is outside 0 to {LIMIT - 1:,}")


def number_pairs(count: int = 30_000, seed: int = 0) -> list[tuple[str, str]]:
    """Every number below 1,000 and a seeded draw of larger ones (``count`` in all,
    distinct): (English, French) pairs in a seeded random order."""
    rng = random.Random(seed)
    small = list(range(1000))
    count = max(count, len(small))
    large = rng.sample(range(1000, LIMIT), count - len(small))
    numbers = small + large
    rng.shuffle(numbers)
    return [(english(n), french(n)) for n in numbers]
