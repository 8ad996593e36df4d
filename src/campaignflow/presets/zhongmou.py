"""Zhongmou county (中牟县, Henan) as the seeds describe it: demo and test data.

1 county, 73 county-level departments and stationed units (县直及驻县单位), 14
townships (乡镇、街道), 274 villages (村、社区) of which 3 are pilots (官渡桥村,
老八庄村, 刘申庄村); the city's 6th supervision group (市委第六督导组) over the
county, its departments and townships, and four county supervision groups over
the villages; 43 county leaders' contact points (县处级领导干部联系点) and 274
township leaders' contact points (乡镇科级领导干部联系点). People are generated
(deterministic per seed) with Chinese names: each unit has a leadership group
with one principal leader and a clerk; villages have ordinary members too.
"""

from __future__ import annotations

import random
from typing import Any

from campaignflow.org.graph import Org

TOWNSHIPS = (
    "城关镇",
    "韩寺镇",
    "官渡镇",
    "狼城岗镇",
    "万滩镇",
    "白沙镇",
    "郑庵镇",
    "黄店镇",
    "大孟镇",
    "九龙镇",
    "刘集镇",
    "雁鸣湖镇",
    "姚家镇",
    "广惠街街道",
)
LEVELS = {
    "county": (),
    "department": ("county",),  # 县直及驻县单位: under the county
    "township": ("county",),  # 乡(镇、街道)
    "village": ("township",),  # 村(社区): under their township
}
"""Zhongmou's levels, each with the levels its units' parents may have."""

PILOTS = {"官渡镇": "官渡桥村", "姚家镇": "老八庄村", "广惠街街道": "刘申庄村"}
DEPARTMENTS = (
    "县委办公室", "县政府办公室", "县人大常委会办公室", "县政协办公室", "县纪委", "县委组织部",
    "县委宣传部", "县委统战部", "县委政法委", "县发改委", "县教体局", "县科技局", "县工信局",
    "县公安局", "县民政局", "县司法局", "县财政局", "县人社局", "县国土局", "县环保局",
    "县住建局", "县交通局", "县农委", "县林业局", "县水务局", "县商务局", "县文广新局",
    "县卫生局", "县计生委", "县审计局", "县统计局", "县安监局", "县食药监局", "县工商局",
    "县质监局", "县地税局", "县国税局", "县供电公司", "县人民法院", "县人民检察院",
)  # fmt: skip
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢"
    "蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
GIVEN = "国建明华军伟强平东文志红海永林玉春英秀兰德成福刚利军杰涛超磊鹏辉峰勇新庆敏静丽霞燕芳娟"
VILLAGE_PARTS = "东西南北前后大小新老上下张王李刘赵杨陈孙马高胡朱何郭"
VILLAGE_ENDS = ("庄村", "楼村", "岗村", "寨村", "营村", "集村", "屯村", "店村", "桥村", "湾村")


class _People:
    """Deterministic people with Chinese names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[dict[str, Any]] = []
        self.count = 0

    def new(self, unit: str, roles: list[str]) -> str:
        self.count += 1
        pid = f"p-{self.count:06d}"
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
        name = self.rng.choice(SURNAMES) + given
        self.rows.append({"id": pid, "name": name, "unit": unit, "roles": roles})
        return pid

    def leadership(self, unit: str, size: int, *, members: int = 0) -> list[str]:
        """A principal, the rest of the leadership, a clerk, and ``members`` ordinary members."""
        leaders = [self.new(unit, ["leadership", "principal", "members"])]
        leaders += [self.new(unit, ["leadership", "members"]) for _ in range(size - 1)]
        self.new(unit, ["clerk"])
        for _ in range(members):
            self.new(unit, ["members"])
        return leaders


def _villages(rng: random.Random, total: int) -> list[int]:
    """Split ``total`` villages over the townships, unevenly, at least 10 each."""
    counts = [10] * len(TOWNSHIPS)
    for _ in range(total - sum(counts)):
        counts[rng.randrange(len(counts))] += 1
    return counts


def zhongmou_org(seed: int = 0) -> Org:
    """Build Zhongmou county's organisation (362 units) deterministically from ``seed``."""
    rng = random.Random(seed)
    people = _People(rng)
    units: list[dict[str, Any]] = [{"id": "zhongmou", "parent": None, "level": "county", "name": "中牟县"}]
    county_leaders = people.leadership("zhongmou", 11)  # the county committee's standing committee
    dept_principals: list[str] = []
    for n in range(73):
        name = DEPARTMENTS[n] if n < len(DEPARTMENTS) else f"驻县单位{n - len(DEPARTMENTS) + 1:02d}"
        uid = f"d-{n + 1:02d}"
        units.append({"id": uid, "parent": "zhongmou", "level": "department", "name": name})
        dept_principals.append(people.leadership(uid, rng.randint(5, 7))[0])
    villages: list[str] = []
    township_leaders: dict[str, list[str]] = {}
    used: set[str] = set()
    for t, (township, count) in enumerate(zip(TOWNSHIPS, _villages(rng, 274), strict=True), start=1):
        tid = f"t-{t:02d}"
        units.append({"id": tid, "parent": "zhongmou", "level": "township", "name": township})
        township_leaders[tid] = people.leadership(tid, rng.randint(7, 9))
        for v in range(1, count + 1):
            vid = f"v-{t:02d}{v:02d}"
            if v == 1 and township in PILOTS:
                name, pilot = PILOTS[township], True
            else:
                name, pilot = _village_name(rng, used), False
            used.add(name)
            units.append({"id": vid, "parent": tid, "level": "village", "name": name, "pilot": pilot})
            people.leadership(vid, rng.randint(3, 5), members=rng.randint(8, 25))
            villages.append(vid)
    groups = [
        {
            "id": "sg-city-6",
            "name": "市委第六督导组",
            "supervises": [u["id"] for u in units if u["level"] != "village"],
        }
    ]
    for g in range(4):
        tids = [f"t-{t:02d}" for t in range(1, 15) if (t - 1) % 4 == g]
        groups.append(
            {
                "id": f"sg-county-{g + 1}",
                "name": f"县委第{'一二三四'[g]}督导组",
                "supervises": [v for v in villages if v[2:4] in {tid[2:] for tid in tids}],
            }
        )
    for _ in range(5):
        people.new("sg-city-6", ["supervisor"])
    for g in range(4):
        for _ in range(3):
            people.new(f"sg-county-{g + 1}", ["supervisor"])
    contacts = _contacts(rng, county_leaders + dept_principals, township_leaders, villages)
    return Org.from_dicts(
        units,
        people=people.rows,
        groups=groups,
        contacts=contacts,
        levels=LEVELS,
        name="zhongmou",
    )


def _village_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(VILLAGE_PARTS) + rng.choice(VILLAGE_PARTS) + rng.choice(VILLAGE_ENDS)
        if name not in used and name not in PILOTS.values():
            return name


def _contacts(
    rng: random.Random,
    county_level: list[str],
    township_leaders: dict[str, list[str]],
    villages: list[str],
) -> list[dict[str, str]]:
    """43 county leaders' contact points, and one township leader per village (274)."""
    out: list[dict[str, str]] = []
    townships = sorted(township_leaders)
    for n, person in enumerate(county_level[:43]):
        # A township, or a lagging village (后进村) — the seeds' "分包一个后进村".
        unit = townships[n % len(townships)] if n < len(townships) else rng.choice(villages)
        out.append({"person": person, "unit": unit})
    for village in villages:
        tid = f"t-{village[2:4]}"
        out.append({"person": rng.choice(township_leaders[tid][1:]), "unit": village})
    return out
