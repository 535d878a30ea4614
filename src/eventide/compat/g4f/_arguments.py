"""g4f's call options as eventide's ``chat.completions.create`` arguments: what maps is
mapped (``image``/``media`` become image parts, ``model=""`` the provider's default), what
has no meaning here is refused with the replacement named, before any I/O."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

__all__ = ["REFUSED", "openai_arguments"]

REFUSED: Final[Mapping[str, str]] = {
    "web_search": "a model that searches, with OpenAI's web_search_options= in extra_body=",
    "ignore_working": "nothing: eventide has no list of working providers to filter; drop it",
    "ignore_stream": "nothing: every eventide provider streams; drop it",
    "raw": "eventide.AsyncClient.stream() for the typed events of the response",
    "conversation": "the whole history in messages=",
    "return_conversation": "the whole history in messages=",
    "history_disabled": "nothing: eventide keeps no history; drop it",
    "cookies": "an API key: AsyncClient(api_key=...) or the provider's environment variable",
    "api_key": "AsyncClient(api_key=...) or a provider made with its key",
    "base_url": "AsyncClient(base_url=...) or a provider made with its base_url",
    "download_media": "nothing: images and media generation are out of scope; drop it",
    "tool_calls": "tools= (OpenAI's tool definitions)",
}
"""g4f-only options with no meaning here, and what to use instead (a false value is fine)."""

_SIGNATURES: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _image_url(image: object) -> str:
    """An image as an OpenAI ``image_url``: a URL as it is; bytes, an open binary file or a
    path (read here, as g4f reads them) as a base64 data URL."""
    if isinstance(image, os.PathLike):
        image = Path(image).read_bytes()
    elif hasattr(image, "read"):
        image = image.read()
    if isinstance(image, str):
        if image.startswith(("http://", "https://", "data:")):
            return image
        raise ValueError("an image string must be an http(s) or data: URL")
    if isinstance(image, bytes | bytearray | memoryview):
        data = bytes(image)
        media_type = next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)
        if media_type is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            media_type = "image/webp"
        if media_type is None:
            raise ValueError("image bytes must be a PNG, JPEG, GIF or WebP image")
        return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
    raise TypeError(
        f"image must be bytes or a URL, not {type(image).__name__} "
        "(or an open binary file, or a path)"
    )


def _media(image: object, media: object) -> list[object]:
    """The images of ``image=`` and g4f's ``media=``/``images=`` (items or (item, name))."""
    if image is not None:
        return [image]
    if media is None:
        return []
    items = media if isinstance(media, list | tuple) else [media]
    return [item[0] if isinstance(item, tuple | list) else item for item in items]


def _with_images(messages: Any, images: list[object]) -> Any:
    """`messages` with the images appended to the last user message (a copy)."""
    if not images:
        return messages
    listed: list[Any] = (
        [{"role": "user", "content": messages}] if isinstance(messages, str) else (list(messages))
    )
    parts = [{"type": "image_url", "image_url": {"url": _image_url(image)}} for image in images]
    for index in range(len(listed) - 1, -1, -1):
        message = listed[index]
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            text = [{"type": "text", "text": content}] if isinstance(content, str) else content
            listed[index] = {**message, "content": [*(text or []), *parts]}
            return listed
    raise ValueError("image= needs a user message (a dict with role 'user') to attach to")


def openai_arguments(
    messages: Any,
    model: object,
    *,
    image: object = None,
    response_format: object = None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``chat.completions.create`` keywords of a g4f call (all but ``stream``).

    Args:
        messages: A prompt string or OpenAI-style messages.
        model: The model name; ``""`` or None: the provider's default.
        image: g4f's ``image=``: bytes or a URL.
        response_format: A dict, as OpenAI takes it.
        options: The call's other keywords (``media``, ``images``, ``image_name``, g4f-only
            options, and OpenAI's parameters, passed on).

    Raises:
        TypeError: A g4f-only option with no meaning here (the message names what to use),
            an image of the wrong type, a string ``response_format`` (g4f's image formats).
        ValueError: Image bytes of no known image type; an image with no user message.
    """
    rest = dict(options)
    for name, replacement in REFUSED.items():
        if rest.pop(name, None):
            raise TypeError(f"{name}= has no meaning in eventide: use {replacement}")
    rest.pop("image_name", None)  # OpenAI image parts have no file name
    images = _media(image, rest.pop("media", None) or rest.pop("images", None))
    if isinstance(response_format, str):
        raise TypeError(
            f"response_format={response_format!r} is a format of g4f's images API, which is "
            "out of scope; chat takes a dict such as {'type': 'json_object'}"
        )
    if response_format is not None:
        rest["response_format"] = response_format
    if model is not None and not isinstance(model, str):
        raise TypeError(f"model must be a string, not {type(model).__name__}")
    if isinstance(messages, Sequence) and not isinstance(messages, str | list | tuple):
        messages = list(messages)
    return {"messages": _with_images(messages, images), "model": model or None, **rest}
