"""Keep secrets out of logs and error messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SECRET_PARAMS = re.compile(
    r"(?i)(password|client_secret|refresh_token|access_token|private_key|token|"
    r"x-session-key|authorization)([\"']?\s*[:=]\s*[\"']?)(bearer\s+)?([^\s\"'&,}]+)"
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with every known secret value and secret-looking parameter masked."""
    for secret in secrets:
        # Shorter values would mask ordinary text.
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
