"""Stages: transform and tap event streams between a provider and its consumer.

A `Staged` provider wraps any provider with a `Stage` (sans-IO: ``start``, ``feed``,
``end``, ``fail``, ``close``), and is a provider itself.
"""

from ._staged import Stage as Stage
from ._staged import Staged as Staged

__all__ = ["Stage", "Staged"]
