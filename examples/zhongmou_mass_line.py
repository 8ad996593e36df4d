"""The mass-line preset over Zhongmou's org, loaded from the CSV files beside this script.

Run: python examples/zhongmou_mass_line.py
"""

from __future__ import annotations

from pathlib import Path

import campaignflow as cf
from campaignflow.presets import mass_line, zhongmou

HERE = Path(__file__).resolve().parent / "zhongmou"


def main() -> cf.Verdict:
    """Load the org, take the county through stage 1, and show why it may not yet hold its meeting."""
    org = cf.Org.from_csv(
        HERE / "units.csv",
        people=HERE / "people.csv",
        edges=HERE / "edges.csv",
        levels=zhongmou.LEVELS,  # each level with the levels its parents may have
    )
    run = mass_line.campaign().start(org)
    office = cf.Actor(id="office", roles={"office"})
    county = org.root()
    principal = org.people(county, "principal")[0]
    run.record(county, mass_line.MobilisationMeeting(chaired_by=principal, attendees=300), by=office)
    run.fire(county, "mobilise", by=office)
    # 学习教育、听取意见 up to standard, or finish_study refuses (不合格的打回返工).
    leaders = org.people(county, "leadership")
    study = mass_line.StudySession(hours=2, readings=("党章",), chaired_by=principal, attendees=leaders)
    run.record_many(
        [
            *((county, study) for _ in range(4)),
            *((county, mass_line.MemberNotes(member=m)) for m in org.people(county, "members")),
            (county, mass_line.MaterialsIssued(members=org.people(county, "members"))),
            *((county, mass_line.Opinion(source="form", category="formalism")) for _ in range(10)),
        ],
        by=office,
    )
    run.fire(county, "finish_study", by=office)
    verdict = run.check(county, "hold_meeting")
    print(f"{org.name_of(county)}: {len(org)} units")
    print(verdict.explain())
    return verdict


if __name__ == "__main__":
    main()
