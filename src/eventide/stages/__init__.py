"""Stages: transform and tap event streams between a provider and its consumer.

A `Staged` provider wraps any provider with a `Stage` (sans-IO: ``start``, ``feed``,
``end``, ``fail``, ``close``), and is a provider itself. The built-ins are made by friendly
functions that take the provider and return a provider (`tap`, `map_events`,
`filter_events`, `redact`, `extract_reasoning`, `smooth`); their stage classes compose with
`pipeline`. `tee` shares one stream between several consumers.
"""

from ._base import StageBase as StageBase
from ._per_event import FilterEvents as FilterEvents
from ._per_event import MapEvents as MapEvents
from ._per_event import Tap as Tap
from ._per_event import filter_events as filter_events
from ._per_event import map_events as map_events
from ._per_event import tap as tap
from ._pipeline import pipeline as pipeline
from ._reasoning import ExtractReasoning as ExtractReasoning
from ._reasoning import extract_reasoning as extract_reasoning
from ._redact import Redact as Redact
from ._redact import Redactor as Redactor
from ._redact import redact as redact
from ._smooth import Chunking as Chunking
from ._smooth import Smooth as Smooth
from ._smooth import smooth as smooth
from ._staged import Stage as Stage
from ._staged import Staged as Staged
from ._tee import Tee as Tee
from ._tee import TeeConsumer as TeeConsumer
from ._tee import TeeError as TeeError
from ._tee import TeeOverflow as TeeOverflow
from ._tee import tee as tee

__all__ = [
    "Chunking",
    "ExtractReasoning",
    "FilterEvents",
    "MapEvents",
    "Redact",
    "Redactor",
    "Smooth",
    "Stage",
    "StageBase",
    "Staged",
    "Tap",
    "Tee",
    "TeeConsumer",
    "TeeError",
    "TeeOverflow",
    "extract_reasoning",
    "filter_events",
    "map_events",
    "pipeline",
    "redact",
    "smooth",
    "tap",
    "tee",
]
