"""Record streams and replay them: `record`, `ReplayProvider`, VCR-style `cassette`, and a
wire cassette (`WireRecorder`, `WireCassette`) for decoder tests.

A record is JSONL, one stream per file (`eventide.record._format` describes it): a
versioned header with the request (credentials never written), one line per event with
its time offset, and the error of a failed stream or the mark of an abandoned one.
"""

from ._cassette import Cassette as Cassette
from ._cassette import CassetteMiss as CassetteMiss
from ._cassette import Mode as Mode
from ._cassette import cassette as cassette
from ._errors import RecordFormatError as RecordFormatError
from ._format import FORMAT_VERSION as FORMAT_VERSION
from ._format import Record as Record
from ._format import read_record as read_record
from ._key import request_key as request_key
from ._recorder import RecordStage as RecordStage
from ._recorder import record as record
from ._replay import ReplayExhausted as ReplayExhausted
from ._replay import ReplayProvider as ReplayProvider
from ._replay import Timing as Timing
from ._wire import WireCassette as WireCassette
from ._wire import WireRecorder as WireRecorder
from ._wire import read_wire as read_wire

__all__ = [
    "FORMAT_VERSION",
    "Cassette",
    "CassetteMiss",
    "Mode",
    "Record",
    "RecordFormatError",
    "RecordStage",
    "ReplayExhausted",
    "ReplayProvider",
    "Timing",
    "WireCassette",
    "WireRecorder",
    "cassette",
    "read_record",
    "read_wire",
    "record",
    "request_key",
]
