"""Actors: who does something, with which roles, over which units."""

from __future__ import annotations

from collections.abc import Iterable

import attrs


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
        if not isinstance(self.id, str) or not self.id.strip():
            msg = f"actor id must be a non-empty string, got {self.id!r}"
            raise ValueError(msg)


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
