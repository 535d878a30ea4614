"""The served model that a stream names only after `Metadata` was sent.

`Metadata` comes first, so a mapper looks for the served model in every payload the format
allows before it; when none named it, `Metadata.model` is the requested model, and the first
name a later payload gives is carried by `Finish.model` (docs/providers.md, "The served
model").
"""

from __future__ import annotations

from typing import Any, final

__all__ = ["ServedModel"]


@final
class ServedModel:
    """What a mapper knows of the served model after `Metadata`.

    A mapper calls `sent()` with what the payload that makes the `Metadata` names, and, while
    `looking`, `see()` with what each later payload names.

    Attributes:
        looking: `Metadata` was sent without naming the served model: later payloads may.
        late: The served model as the first later payload named it (`Finish.model`).
    """

    __slots__ = ("late", "looking")

    def __init__(self) -> None:
        self.looking = False
        self.late: str | None = None

    def sent(self, model: Any) -> None:
        """`Metadata` is sent from a payload that names `model` (named only if it is a
        non-empty string)."""
        self.looking = not (isinstance(model, str) and model)

    def see(self, model: Any) -> None:
        """A payload after `Metadata` names `model`: kept if it is a name (the first one:
        looking stops there)."""
        if isinstance(model, str) and model:
            self.late = model
            self.looking = False
