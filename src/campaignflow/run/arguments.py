"""Checking the plain arguments of a run's methods: counts, positions, modes."""

from __future__ import annotations

from collections.abc import Collection

from campaignflow.exceptions import ArgumentError


def whole(value: object, name: str) -> int:
    """``value`` as a count or a position (an int ≥ 0).

    Raises:
        TypeError: not an int (a bool is not one either).
        ArgumentError: negative, naming the argument.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        msg = f"{name} must be a whole number, got {value!r}"
        raise TypeError(msg)
    if value < 0:
        msg = f"{name}={value}: pass 0 or more"
        raise ArgumentError(msg)
    return value


def one_of(value: object, name: str, allowed: Collection[str]) -> str:
    """``value`` if it is one of ``allowed``; otherwise an ArgumentError listing them."""
    if not isinstance(value, str) or value not in allowed:
        msg = f"{name}={value!r}: use {' or '.join(repr(a) for a in allowed)}"
        raise ArgumentError(msg)
    return value
