"""The testing kit: property-test your campaign and its gate logic with hypothesis.

- :mod:`campaignflow.testing.strategies` — ``orgs()``, ``invalid_orgs()``,
  ``evidence_for(rule)``, ``evidence_against(rule)``, ``event_sequences()``;
- :class:`CampaignMachine` — a ``hypothesis.stateful`` base that drives your
  campaign over an org and checks the library's laws after every step;
- :func:`assert_equivalent` — a custom rule against its declared specification:
  the boundary cases, then generated ones, the smallest difference reported;
- :class:`Scenario` — one unit's people and evidence, judged by any rule;
- ``analysis`` — the static checks behind ``campaign.check()``.

May import: ``run``, ``store``, ``definition``, ``org``, ``values``,
``exceptions``. It takes a ``CampaignBuilder``, never the public ``Campaign``
(which imports it for ``check``).
"""

from campaignflow.testing import strategies as strategies
from campaignflow.testing._equivalent import NotEquivalent as NotEquivalent
from campaignflow.testing._equivalent import assert_equivalent as assert_equivalent
from campaignflow.testing._machine import CampaignMachine as CampaignMachine
from campaignflow.testing._scenario import Scenario as Scenario

__all__ = ["CampaignMachine", "NotEquivalent", "Scenario", "assert_equivalent", "strategies"]
