"""'Did you mean': the known ids closest to a typo by edit distance.

``difflib`` ranks by a similarity ratio and leaves out ids a single letter away
(``v-0171`` for ``v-0117`` is a transposition it scores low). Here every id
one edit away (a letter deleted, inserted, replaced, or two neighbours
swapped) is found by lookup, so even a national org of 640,000 ids answers at
once; ``difflib``'s close matches fill up the list, ranked by edit distance.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable


def distance(a: str, b: str) -> int:
    """The edit distance (insert, delete, replace, swap neighbours) between ``a`` and ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, prev2[j - 2] + 1)
            row.append(best)
        prev2, prev = prev, row
    return prev[-1]


def _one_edit(word: str, alphabet: Iterable[str]) -> set[str]:
    letters = tuple(alphabet)
    out: set[str] = set()
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            out.add(head + tail[1:])
            if len(tail) > 1:
                out.add(head + tail[1] + tail[0] + tail[2:])
        for c in letters:
            out.add(head + c + tail)
            if tail:
                out.add(head + c + tail[1:])
    out.discard(word)
    return out


def closest(word: str, known: Collection[str], alphabet: Iterable[str], *, n: int = 3) -> list[str]:
    """Up to ``n`` ids of ``known`` closest to ``word``: one edit away first, then difflib's, by distance."""
    near = sorted(w for w in _one_edit(word, alphabet) if w in known)
    more = difflib.get_close_matches(word, known, n=n + len(near), cutoff=0.75)
    ranked = sorted(dict.fromkeys([*near, *more]), key=lambda w: (distance(word, w), w))
    return ranked[:n]
