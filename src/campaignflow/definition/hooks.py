"""Hooks: the host's functions called after a committed move (``campaign.on_enter(...)``).

A hook is ``fn(run, step)``: the run and the :class:`~campaignflow.Step` just
committed. ``on_enter(stage, fn)`` and ``on_exit(stage, fn)`` watch a stage (a
compound stage is entered or left once, whatever its sub-stages do);
``on_fire(event, fn)`` watches an event; ``on_send_back(stage, fn)`` watches
send-backs to a stage. The run calls them (see ``run.hooks``); this module only
holds the declarations and says which hooks a step calls, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import attrs

HookFn = Callable[[Any, Any], object]
"""``fn(run, step)``; its return value is ignored."""


class On(StrEnum):
    """What a hook watches."""

    ENTER = "enter"
    EXIT = "exit"
    FIRE = "fire"
    SEND_BACK = "send_back"


@attrs.frozen(kw_only=True)
class Hook:
    """One declared hook.

    Attributes:
        on: what it watches (enter, exit, fire, send_back).
        key: the stage path (enter, exit, send_back) or the event (fire).
        fn: the function, called as ``fn(run, step)``.
    """

    on: On
    key: str
    fn: HookFn

    @property
    def name(self) -> str:
        """A name for logs and errors: ``on_enter('study'): notify``."""
        fn_name = getattr(self.fn, "__qualname__", None) or repr(self.fn)
        return f"on_{self.on.value}({self.key!r}): {fn_name}"


def _covers(stage: str, leaf: str) -> bool:
    return leaf == stage or leaf.startswith(stage + ".")


def hooks_for(
    hooks: tuple[Hook, ...], *, kind: str, event: str, source: str, dest: str, target: str
) -> list[Hook]:
    """The hooks a committed step calls, in order: exits, then fire or send-back, then enters.

    ``kind`` is the step's kind (``"fire"`` or ``"send_back"``); a stage is left
    when the source is under it and the destination is not, entered the other
    way round. Hooks of one kind run in declaration order.
    """
    left = [h for h in hooks if h.on is On.EXIT and _covers(h.key, source) and not _covers(h.key, dest)]
    if kind == "fire":
        middle = [h for h in hooks if h.on is On.FIRE and h.key == event]
    else:
        middle = [h for h in hooks if h.on is On.SEND_BACK and h.key == target]
    entered = [h for h in hooks if h.on is On.ENTER and _covers(h.key, dest) and not _covers(h.key, source)]
    return [*left, *middle, *entered]
