"""Authorisation: who may write what, on which units. Every write passes here."""

from __future__ import annotations

from campaignflow.definition.actors import Actor, Allowed
from campaignflow.exceptions import PermissionDenied
from campaignflow.org.graph import Org


def require_actor(by: object, *, unit: str, action: str) -> Actor:
    """The actor of a write; there is no write without one."""
    if not isinstance(by, Actor):
        raise PermissionDenied(
            f"{action} on unit {unit!r} needs an actor: pass by=cf.Actor(id=..., roles=...), got {by!r}",
            unit=unit,
            actor=str(by),
            action=action,
        )
    return by


def in_scope(org: Org, actor: Actor, unit: str) -> bool:
    """True when ``unit`` lies in a subtree the actor's scope names."""
    if actor.scope is None:
        return True
    return any(root in org and org.is_ancestor(root, unit) for root in actor.scope)


def require_scope(org: Org, actor: Actor, *, unit: str, action: str, allowed: object = None) -> None:
    """Refuse an actor acting outside its scope."""
    del allowed
    if not in_scope(org, actor, unit):
        scope = ", ".join(sorted(actor.scope or ()))
        raise PermissionDenied(
            f"actor {actor.id!r} may not {action} unit {unit!r}: outside its scope ({scope}); "
            "act through someone whose scope holds the unit",
            unit=unit,
            actor=actor.id,
            action=action,
        )


def require_role(org: Org, actor: Actor, *, unit: str, action: str, allowed: object = None) -> None:
    """Refuse an actor without one of the transition's allowed roles."""
    del org
    if isinstance(allowed, Allowed) and not allowed.permits(actor):
        held = ", ".join(sorted(actor.roles)) or "no roles"
        raise PermissionDenied(
            f"actor {actor.id!r} ({held}) may not {action} unit {unit!r}: needs role {allowed.describe()}",
            unit=unit,
            actor=actor.id,
            action=action,
        )


def require_above(org: Org, actor: Actor, *, unit: str, action: str, allowed: Allowed | None) -> None:
    """Refuse a send-back by anyone not above the unit (or lacking the rework's roles)."""
    require_role(org, actor, unit=unit, action=action, allowed=allowed)
    if actor.scope is None:
        return
    parent = org.parent(unit)
    if parent is None or not in_scope(org, actor, parent):
        raise PermissionDenied(
            f"actor {actor.id!r} may not {action} unit {unit!r}: only someone whose scope "
            "holds the level above the unit may send it back",
            unit=unit,
            actor=actor.id,
            action=action,
        )
