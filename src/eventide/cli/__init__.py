"""The ``eventide`` command line: ``eventide chat PROMPT`` and ``eventide batch IN -o OUT``.

``_main`` parses the command and chooses the provider; ``_chat`` streams one answer on
`AsyncClient`; ``_batch`` runs a JSONL file through `AsyncClient.batch`, writing records with
``_output`` and reporting with ``_progress``.
"""

from ._main import main as main

__all__ = ["main"]
