"""Stores: where a run's event log and current-state projection live.

Backends: :class:`MemoryStore` (tests, throwaway runs). SQL backends arrive with
the storage issue.
"""

from campaignflow.store._base import Store as Store
from campaignflow.store._base import UnitRow as UnitRow
from campaignflow.store._memory import MemoryStore as MemoryStore

__all__ = ["MemoryStore", "Store", "UnitRow"]
