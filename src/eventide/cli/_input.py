"""What ``eventide chat`` sends: the prompt (an argument, stdin, or both) and attachments.

The prompt comes as simonw/llm takes it (llm/cli.py, read 2026-12): piped stdin comes first
and a prompt given as an argument after it (``cat file.py | eventide chat "explain this"``);
with no prompt argument, or ``-``, the prompt is stdin alone (read to its end, also from a
terminal). Stdin must be UTF-8.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING

from .._request import ImagePart

if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = ["UsageError", "attachment", "read_prompt"]

_URL_SCHEMES = ("http://", "https://", "data:")


class UsageError(ValueError):
    """The command line asks for something that cannot be sent: exit status 2."""


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"stdin is not UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r}): "
            "convert it first, for example with iconv -t UTF-8"
        ) from None


def read_prompt(prompt: str | None, stdin: BinaryIO, *, stdin_is_terminal: bool) -> str:
    """The prompt to send.

    Args:
        prompt: The prompt argument: None when omitted, ``"-"`` for stdin.
        stdin: The standard input, as bytes.
        stdin_is_terminal: Whether stdin is a terminal: then it is read only when the prompt
            is omitted or ``-`` (a pipe or a file is always read, and put before the prompt).

    Raises:
        UsageError: No prompt at all, or stdin that is not UTF-8.
    """
    from_stdin = prompt is None or prompt == "-"
    piped = ""
    if from_stdin or not stdin_is_terminal:
        try:
            data = stdin.read()
        except OSError as exc:  # closed, or a host's stand-in that refuses reads
            if from_stdin:
                raise UsageError(f"cannot read the prompt from stdin: {exc}") from None
            data = b""
        piped = _decoded(data)
    if from_stdin:
        text = piped
    elif piped.strip():
        text = f"{piped.rstrip()}\n\n{prompt}"
    else:
        text = prompt or ""
    if not text.strip():
        raise UsageError("no prompt: give one as an argument, or pipe it to stdin")
    return text


def attachment(value: str) -> ImagePart:
    """An image to send: a URL as it is (``http://``, ``https://``, ``data:``), or a file,
    read and sent inline with the media type its name gives.

    Raises:
        UsageError: A file that cannot be read, or that is not an image by its name.
    """
    if value.startswith(_URL_SCHEMES):
        return ImagePart(url=value)
    media_type, _ = mimetypes.guess_type(value)
    if media_type is None or not media_type.startswith("image/"):
        raise UsageError(
            f"attachment {value!r}: not an image by its name (.png, .jpg, .gif, .webp): "
            "only images can be attached"
        )
    try:
        data = Path(value).read_bytes()
    except OSError as exc:
        raise UsageError(f"attachment {value!r}: {exc.strerror or exc}") from None
    return ImagePart(data=base64.b64encode(data).decode("ascii"), media_type=media_type)
