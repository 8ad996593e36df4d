"""Value types every layer shares: findings and verdicts, steps and recorded evidence.

Holds: ``findings`` (``Finding``, ``Verdict``, ``Status``: what a rule found, as
data), ``records`` (``Step``, ``Kind``, ``Recorded``: what the log holds).

May import: nothing of campaignflow. Everything else may import it; it is the
floor of the house, so that the store can hold verdicts without knowing rules.
"""
