"""The ``eventide`` command line: ``eventide chat PROMPT`` and ``eventide batch IN -o OUT``.

``chat`` (``_chat``, on `AsyncClient`): the answer goes to stdout as it streams; the metadata
line, the reasoning and the closing summary go to stderr, so that ``eventide chat ... >
answer.txt`` keeps only the answer. With ``--json``, stdout gets every event as one JSON
object per line instead. ``batch`` (``_batch``, with ``_output`` and ``_progress``): one
request per line of a JSONL file, one record per request appended to another; resumable.
"""

from ._main import main as main

__all__ = ["main"]
