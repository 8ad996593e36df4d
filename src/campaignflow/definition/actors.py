"""Actors: who does something, with which roles, over which units."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from campaignflow.exceptions import ActorError

MAX_ID = 200


def _frozen(values: Iterable[str] | str) -> frozenset[str]:
    if isinstance(values, str):
        return frozenset((values,))
    return frozenset(values)


def _scope(values: Iterable[str] | str | None) -> frozenset[str] | None:
    return None if values is None else _frozen(values)


@attrs.frozen(kw_only=True)
class Actor:
    """Someone (or some process) acting on a run.

    Authentication is the host application's job; campaignflow trusts the actor it
    is given and checks what that actor may do.

    Attributes:
        id: a stable id, usually a person id of the org (``"p-000123"``).
        roles: the roles the actor holds (``{"secretary"}``).
        scope: the units (subtree roots) the actor may act on; ``None`` means the
            whole organisation.
    """

    id: str
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen)
    scope: frozenset[str] | None = attrs.field(default=None, converter=_scope)

    def __attrs_post_init__(self) -> None:
        for text, what in ((self.id, "actor id"), *((r, "role") for r in self.roles)):
            if not isinstance(text, str) or not text.strip():
                msg = f"{what} must be a non-empty string, got {text!r}"
                raise ActorError(msg)
            if len(text) > MAX_ID or any(ord(c) < 32 for c in text):  # noqa: PLR2004 - C0 controls
                msg = f"{what} {text[:40]!r} is over {MAX_ID} characters or holds control characters"
                raise ActorError(msg)


@attrs.frozen
class Allowed:
    """Which roles may fire a transition: any one of ``roles``."""

    roles: frozenset[str]

    def permits(self, actor: Actor) -> bool:
        """True when the actor holds one of the roles."""
        return not self.roles.isdisjoint(actor.roles)

    def describe(self) -> str:
        """The roles, sorted, for messages."""
        return " or ".join(sorted(self.roles))


def role(*names: str) -> Allowed:
    """Allow actors holding any of ``names`` (``cf.role("inspector", "secretary")``)."""
    if not names:
        msg = "role() needs at least one role name"
        raise ValueError(msg)
    return Allowed(frozenset(names))
