"""Secrets (API keys): checked before they are used, never shown.

Two rules, each kept in one place:

- `check_key`: a key that cannot be a valid header value (a trailing newline from a file or
  an environment variable, another control character, a character outside Latin-1) is an
  `AuthenticationError` raised before any I/O, naming the problem, never the key. Sent as
  it is, it would fail inside the HTTP library with an error that quotes the header value.
- `Redactor`: every error that leaves a provider's stream goes through one, which replaces
  each secret wherever it appears in the error's text (message, body excerpt, ...): as it
  is, and JSON-escaped as a server may echo it (``sk\\/...``). A key shorter than
  `SHORT` characters is replaced only as a whole token, so that a key such as ``"x"``
  (local servers take anything) does not mangle the words around it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Final, final

from ._errors import AuthenticationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ._errors import Error

__all__ = ["REDACTED", "SHORT", "Redactor", "check_key", "is_credential", "secret_headers"]

REDACTED: Final = "[redacted]"
SHORT: Final = 12
"""Keys shorter than this are replaced as whole tokens only; longer ones wherever they are."""
# A key is a token: letters, digits, "-" and "_" on either side mean it is part of a word.
_TOKEN_EDGE: Final = r"A-Za-z0-9_\-"


def check_key(key: str, *, provider: str) -> None:
    """Raise `AuthenticationError` if `key` cannot be sent as a header value.

    Raises:
        AuthenticationError: The key has leading or trailing whitespace, a control
            character, or a character outside Latin-1; the message says which, and where
            the key came from is for the caller to check. The key is never in it.
    """
    problem = None
    if key != key.strip():
        problem = "starts or ends with whitespace (a trailing newline?)"
    elif any(unicodedata.category(char) == "Cc" for char in key):
        problem = "contains a control character"
    elif not key.isascii() and any(ord(char) > 0xFF for char in key):
        problem = "contains a character that cannot be sent in an HTTP header"
    if problem is not None:
        raise AuthenticationError(f"the API key {problem}; the key is not shown", provider=provider)


@final
class Redactor:
    """Replaces secrets in error text with ``[redacted]``.

    Args:
        secrets: The strings to hide; empty ones are ignored.
    """

    __slots__ = ("_pattern",)

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = sorted(
            {form for secret in secrets if secret for form in _forms(secret)}, key=len, reverse=True
        )
        edge_before, edge_after = f"(?<![{_TOKEN_EDGE}])", f"(?![{_TOKEN_EDGE}])"
        alternatives = [
            re.escape(form) if len(form) >= SHORT else f"{edge_before}{re.escape(form)}{edge_after}"
            for form in forms
        ]
        self._pattern = re.compile("|".join(alternatives)) if alternatives else None

    def text(self, text: str) -> str:
        """`text` with every secret replaced."""
        return text if self._pattern is None else self._pattern.sub(REDACTED, text)

    def error(self, error: Error) -> Error:
        """Redact every text `error` carries (its message, args and string attributes), in
        place, and return it."""
        if self._pattern is None:
            return error
        error.args = tuple(self.text(arg) if isinstance(arg, str) else arg for arg in error.args)
        for name, value in vars(error).items():
            if isinstance(value, str):
                setattr(error, name, self.text(value))
        return error


def secret_headers(headers: Mapping[str, str]) -> list[str]:
    """The values of `headers` that are credentials (``authorization``, ``api-key``,
    ``x-api-key``, cookies, tokens...), without a ``Bearer``-style scheme word."""
    return [
        value.split()[-1] if value.split() else value
        for name, value in headers.items()
        if is_credential(name)
    ]


def is_credential(header: str) -> bool:
    """Whether the header named `header` carries a credential."""
    return _CREDENTIAL_HEADER.search(header) is not None


_CREDENTIAL_HEADER: Final = re.compile(r"auth|key|token|secret|cookie|session", re.IGNORECASE)


def _forms(secret: str) -> set[str]:
    """The secret as it may appear in text: as it is, and JSON-escaped (``/`` as ``\\/``,
    non-ASCII as ``\\uXXXX``)."""
    escaped = secret.replace("\\", "\\\\").replace('"', '\\"')
    ascii_escaped = "".join(char if char.isascii() else f"\\u{ord(char):04x}" for char in escaped)
    return {secret, escaped, escaped.replace("/", "\\/"), ascii_escaped}
