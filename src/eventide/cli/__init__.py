"""The ``eventide`` command line: ``eventide chat``, ``batch`` and ``replay``.

``chat`` (``_chat``, on `AsyncClient`): the prompt from the argument and stdin (``_input``),
its settings from the options, the environment and the config file (``_options``,
``_setup``); the answer goes to stdout as it streams; the metadata line, the reasoning, tool
calls and the closing line go to stderr (``_render``: dimmed on a terminal), so that
``eventide chat ... > answer.txt`` keeps only the answer. With ``--json``, stdout gets every
event as one JSON object per line instead, and a failure's error record last. ``batch``
(``_batch``, with ``_progress``, writing through `eventide.client._batch_output`): one request
per line of a JSONL file, one record per request appended to another; resumable.
"""

from ._main import main as main

__all__ = ["main"]
