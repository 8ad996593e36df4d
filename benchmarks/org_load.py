"""Load national-shaped orgs from CSV at growing sizes: time, growth per doubling, memory.

Usage:
    python benchmarks/org_load.py [--sizes 80000,160000,320000,640000] [--people 3]

The CSV is generated here (1 root, then counties, townships and villages in the
national proportions 2,800 : 39,000 : 600,000), with ``--people N`` leaders per
unit in a people.csv beside it (one principal). Memory per unit is measured with
tracemalloc (Python allocations) and as the RSS growth of the process.
"""

from __future__ import annotations

import argparse
import csv
import gc
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import campaignflow as cf

NATIONAL = (2_800, 39_000, 600_000)


def write_units(path: Path, size: int) -> int:
    """Write a units CSV of about ``size`` units in the national proportions."""
    scale = size / (1 + sum(NATIONAL))
    counties, townships, villages = (max(1, round(n * scale)) for n in NATIONAL)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "parent", "level", "name", "pilot"])
        w.writerow(["root", "", "nation", "全国", "0"])
        for c in range(counties):
            w.writerow([f"c{c}", "root", "county", f"县{c}", "0"])
        for t in range(townships):
            w.writerow([f"t{t}", f"c{t * counties // townships}", "township", f"乡{t}", "0"])
        for v in range(villages):
            w.writerow(
                [
                    f"v{v}",
                    f"t{v * townships // villages}",
                    "village",
                    f"村{v}",
                    "1" if v % 20_000 == 0 else "0",
                ]
            )
    return 1 + counties + townships + villages


def write_people(path: Path, units: Path, leaders: int) -> None:
    """Write ``leaders`` people per unit of the units CSV ``units`` (the first one principal)."""
    with (
        units.open(encoding="utf-8", newline="") as source,
        path.open("w", encoding="utf-8", newline="") as f,
    ):
        w = csv.writer(f)
        w.writerow(["id", "name", "unit", "roles"])
        for row in csv.DictReader(source):
            uid = row["id"]
            for n in range(leaders):
                roles = "leadership;members;principal" if n == 0 else "leadership;members"
                w.writerow([f"{uid}/p{n}", f"{row['name']}干部{n}", uid, roles])


def rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Generate, load and measure at each size."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="80000,160000,320000,640000")
    parser.add_argument("--people", type=int, default=0, help="leaders per unit, in a people.csv")
    args = parser.parse_args()
    levels = ("nation", "county", "township", "village")
    c = cf.Campaign("load")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    previous = None
    header = ("units", "load s", "x/doubling", "org B/unit", "run B/unit", "start s", "peak RSS MiB")
    print("{:>9} {:>8} {:>10} {:>10} {:>10} {:>8} {:>12}".format(*header))
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"units-{size}.csv"
            units = write_units(path, size)
            people = None
            if args.people:
                people = Path(tmp) / f"people-{size}.csv"
                write_people(people, path, args.people)
            gc.collect()
            start = time.perf_counter()
            org = cf.Org.from_csv(path, people=people, levels=levels)
            load = time.perf_counter() - start
            start = time.perf_counter()
            run = c.start(org)
            begin = time.perf_counter() - start
            del org, run
            gc.collect()
            # Memory in a second pass: tracemalloc slows allocation down about twofold.
            tracemalloc.start()
            org = cf.Org.from_csv(path, people=people, levels=levels)
            org_bytes = tracemalloc.get_traced_memory()[0]
            run = c.start(org)
            run_bytes = tracemalloc.get_traced_memory()[0] - org_bytes
            tracemalloc.stop()
            growth = f"{load / previous:.2f}" if previous else "-"
            cells = (
                f"{units:>9,} {load:>8.2f} {growth:>10} {org_bytes / units:>10.0f} "
                f"{run_bytes / units:>10.0f} {begin:>8.2f} {rss_mib():>12,.0f}"
            )
            print(cells, flush=True)
            previous = load
            del org, run
            gc.collect()


if __name__ == "__main__":
    main()
