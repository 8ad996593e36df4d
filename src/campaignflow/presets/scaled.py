"""Synthetic organisations of province and national size, for demos and benchmarks.

National: 1 + 2,800 counties + 39,000 townships + 600,000 villages (about 640,000
units), as the design notes count them; province: about a tenth of that
(1 + 280 + 3,900 + 60,000). Each unit has a leadership of three (one principal);
each county has a supervision group of two supervising the county's units.
"""

from __future__ import annotations

from collections.abc import Iterator

from campaignflow.exceptions import ArgumentError
from campaignflow.org.build import Builder, UnitRow, Where
from campaignflow.org.bulk import gc_paused
from campaignflow.org.graph import Org, built
from campaignflow.org.people import Row as PersonTuple

SHAPES = {
    "province": (280, 3_900, 60_000),
    "national": (2_800, 39_000, 600_000),
}
LEVELS = ("nation", "county", "township", "village")
_PRINCIPAL = frozenset({"leadership", "members", "principal"})
_LEADER = frozenset({"leadership", "members"})
_SUPERVISOR = frozenset({"supervisor"})


def scaled_org(
    scale: str, *, seed: int = 0, leaders: int = 3, fraction: float = 1.0, provinces: int | None = None
) -> Org:
    """An org of ``scale`` (``"province"`` or ``"national"``), optionally a ``fraction`` of it.

    Deterministic: units are spread evenly (every county has the same number of
    townships, give or take one). ``seed`` is accepted for symmetry with the
    Zhongmou preset and picks which villages are pilots. ``provinces``: only
    the first that many subtrees under the root, each exactly as in the whole
    org (the same ids, people and groups): a slice to measure a sharded run on.

    Raises:
        ArgumentError: ``scale`` is not one of :data:`SHAPES`, ``fraction`` is
            not in (0, 1], or ``provinces`` is below 1 or above the root's subtrees.
    """
    if scale not in SHAPES:
        msg = f"scale={scale!r}: scaled_org builds {' or '.join(map(repr, SHAPES))}"
        raise ArgumentError(msg)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        msg = f"fraction must be a number, got {type(fraction).__name__}"
        raise TypeError(msg)
    if not 0 < fraction <= 1:
        msg = f"fraction={fraction}: pass a share of the {scale} org in (0, 1], e.g. 0.1"
        raise ArgumentError(msg)
    if provinces is not None:
        if isinstance(provinces, bool) or not isinstance(provinces, int):
            msg = f"provinces must be an int or None, got {type(provinces).__name__}"
            raise TypeError(msg)
        whole = max(1, round(SHAPES[scale][0] * fraction))
        if not 1 <= provinces <= whole:
            msg = f"provinces={provinces}: scaled_org({scale!r}) has {whole} subtrees under its root"
            raise ArgumentError(msg)
    with gc_paused():
        return _scaled(scale, seed, leaders, fraction, provinces)


def _scaled(scale: str, seed: int, leaders: int, fraction: float, provinces: int | None) -> Org:
    counties, townships, villages = (max(1, round(n * fraction)) for n in SHAPES[scale])
    # Rows go straight to the builder (its checks still run), not through the
    # 2.5 million dicts ``Org.from_dicts`` would take; the ids are made first and
    # the people last, so the temporaries between them are freed as a whole.
    county_ids = [f"c{c:04d}" for c in range(counties)]
    township_ids = [f"t{t:05d}" for t in range(townships)]
    village_ids = [f"v{v:06d}" for v in range(villages)]
    builder = Builder(LEVELS)
    where = Where(path=f"scaled_org({scale!r})")

    def unit(uid: str, parent: str | None, level: str, name: str, pilot: bool = False) -> None:
        builder.unit(UnitRow(id=uid, parent=parent, level=level, name=name, pilot=pilot, where=where))

    unit("root", None, "nation", scale)
    groups = [("sg-root", "中央督导组", ["root"])]
    for c, cid in enumerate(county_ids[:provinces]):
        unit(cid, "root", "county", cid)
        supervised = [cid]
        for t in range(c * townships // counties, (c + 1) * townships // counties):
            tid = township_ids[t]
            unit(tid, cid, "township", tid)
            supervised.append(tid)
            for v in range(t * villages // townships, (t + 1) * villages // townships):
                vid = village_ids[v]
                unit(vid, tid, "village", vid, (v + seed) % 20_000 == 0)
                supervised.append(vid)
        groups.append((f"sg-{cid}", f"督导组 {cid}", supervised))
    for gid, name, supervised in groups:
        builder.group(gid, name, where)
        builder.supervise(gid, supervised, where)
    builder.add_people(_people(builder, groups, leaders), where)
    return built(builder, name=scale)


def _people(
    builder: Builder, groups: list[tuple[str, str, list[str]]], leaders: int
) -> Iterator[PersonTuple]:
    """Each unit's leaders (one principal), then each group's two supervisors, in the order
    the units and groups were declared (root, its group, a county and its units, its group...)."""
    group_after = {supervised[-1]: gid for gid, _, supervised in groups}
    for uid in builder.units:
        for n in range(leaders):
            yield f"{uid}/p{n}", f"{uid}-{n}", uid, _LEADER if n else _PRINCIPAL
        gid = group_after.get(uid)
        if gid is not None:
            for n in range(2):
                yield f"{gid}/s{n}", f"{gid}-{n}", gid, _SUPERVISOR
