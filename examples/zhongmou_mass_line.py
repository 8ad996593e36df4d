"""The mass-line preset over Zhongmou's org, loaded from the CSV files beside this script.

Run: python examples/zhongmou_mass_line.py
"""

from __future__ import annotations

from pathlib import Path

import campaignflow as cf
from campaignflow.presets import mass_line

HERE = Path(__file__).resolve().parent / "zhongmou"


def main() -> cf.Verdict:
    """Load the org, mobilise the county, and show why it may not yet hold its meeting."""
    org = cf.Org.from_csv(
        HERE / "units.csv",
        people=HERE / "people.csv",
        edges=HERE / "edges.csv",
        levels=("county", "department", "township", "village"),
    )
    run = mass_line.campaign().start(org)
    office = cf.Actor(id="office", roles={"office"})
    county = org.root()
    principal = org.people(county, "principal")[0]
    run.record(county, mass_line.MobilisationMeeting(chaired_by=principal, attendees=300), by=office)
    run.fire(county, "mobilise", by=office)
    run.record(county, mass_line.StudySession(hours=2, readings=("党章",), chaired_by=principal), by=office)
    run.fire(county, "finish_study", by=office)
    verdict = run.check(county, "hold_meeting")
    print(f"{org.name_of(county)}: {len(org)} units")
    print(verdict.explain())
    return verdict


if __name__ == "__main__":
    main()
