"""What evidence may hold to be stored: the limits both ways of checking it enforce.

:mod:`campaignflow.store.validate` walks any value against these;
:mod:`campaignflow.store.plain` tests a plain value against the same ones in
its one pass, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from datetime import timedelta

MAX_TEXT = 100_000
MAX_ITEMS = 10_000
MAX_DEPTH = 8
FUTURE_SLACK = timedelta(days=1)  # clocks disagree; a day ahead is a typo, not skew
CONTROL = frozenset(chr(c) for c in range(32)) - {"\n", "\t", "\r"}
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
"""A control character of ``CONTROL`` or a surrogate (no UTF-8 form): a text holding none passes."""
SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate: a text holding one has no UTF-8 form."""
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # what SQL integers and every JSON reader keep exactly
