"""Synthetic organisations of province and national size, for demos and benchmarks.

National: 1 + 2,800 counties + 39,000 townships + 600,000 villages (about 640,000
units), as the design notes count them; province: about a tenth of that
(1 + 280 + 3,900 + 60,000). Each unit has a leadership of three (one principal);
each county has a supervision group of two supervising the county's units.
"""

from __future__ import annotations

from typing import Any

from campaignflow.org.graph import Org

SHAPES = {
    "province": (280, 3_900, 60_000),
    "national": (2_800, 39_000, 600_000),
}


def scaled_org(scale: str, *, seed: int = 0, leaders: int = 3, fraction: float = 1.0) -> Org:
    """An org of ``scale`` (``"province"`` or ``"national"``), optionally a ``fraction`` of it.

    Deterministic: units are spread evenly (every county has the same number of
    townships, give or take one). ``seed`` is accepted for symmetry with the
    Zhongmou preset and picks which villages are pilots.
    """
    counties, townships, villages = (max(1, round(n * fraction)) for n in SHAPES[scale])
    units: list[dict[str, Any]] = [{"id": "root", "parent": None, "level": "nation", "name": scale}]
    people: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []

    def leadership(unit: str) -> None:
        for n in range(leaders):
            roles = ["leadership", "members", "principal"] if n == 0 else ["leadership", "members"]
            people.append({"id": f"{unit}/p{n}", "name": f"{unit}-{n}", "unit": unit, "roles": roles})

    leadership("root")
    groups.append({"id": "sg-root", "name": "中央督导组", "supervises": ["root"]})
    people.extend(
        {"id": f"sg-root/s{n}", "name": f"sg-root-{n}", "unit": "sg-root", "roles": ["supervisor"]}
        for n in range(2)
    )
    for c in range(counties):
        cid = f"c{c:04d}"
        units.append({"id": cid, "parent": "root", "level": "county"})
        leadership(cid)
        supervised = [cid]
        for t in range(c * townships // counties, (c + 1) * townships // counties):
            tid = f"t{t:05d}"
            units.append({"id": tid, "parent": cid, "level": "township"})
            leadership(tid)
            supervised.append(tid)
            for v in range(t * villages // townships, (t + 1) * villages // townships):
                vid = f"v{v:06d}"
                pilot = (v + seed) % 20_000 == 0
                units.append({"id": vid, "parent": tid, "level": "village", "pilot": pilot})
                leadership(vid)
                supervised.append(vid)
        gid = f"sg-{cid}"
        groups.append({"id": gid, "name": f"督导组 {cid}", "supervises": supervised})
        people.extend(
            {"id": f"{gid}/s{n}", "name": f"{gid}-{n}", "unit": gid, "roles": ["supervisor"]}
            for n in range(2)
        )
    return Org.from_dicts(
        units,
        people=people,
        groups=groups,
        levels=("nation", "county", "township", "village"),
        name=scale,
    )
