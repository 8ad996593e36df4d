"""Retrying an operation that lost an optimistic-concurrency race."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from campaignflow.exceptions import ConcurrentUpdate

if TYPE_CHECKING:
    from campaignflow.run.run import Run

T = TypeVar("T")


def retry(
    run: Run,
    operation: Callable[[], T],
    *,
    attempts: int = 5,
    backoff: float = 0.005,
) -> T:
    """Call ``operation``; on :class:`ConcurrentUpdate`, refresh the unit and try again.

    Nothing was written by the losing attempt, so retrying is safe. The
    operation is re-run against the fresh state: a gate is re-evaluated, an
    event that no longer leaves the unit's stage raises ``InvalidTransition``.

    Example::

        step = cf.retry(run, lambda: run.fire("v-0017", "hold_meeting", by=secretary))

    Args:
        run: the run the operation writes to.
        operation: a zero-argument callable doing one write.
        attempts: how many times to try in all.
        backoff: base sleep in seconds between attempts (jittered, doubling).

    Raises:
        ConcurrentUpdate: the last attempt lost too.
    """
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except ConcurrentUpdate as exc:
            if attempt == attempts:
                raise
            run.refresh(exc.unit)
            time.sleep(backoff * (2 ** (attempt - 1)) * random.random())  # noqa: S311 - jitter
    msg = "attempts must be at least 1"
    raise ValueError(msg)
