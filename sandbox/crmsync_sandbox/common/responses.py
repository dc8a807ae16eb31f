"""A JSON response serialised with orjson, which is several times faster than `json`."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class OrjsonResponse(Response):
    """`application/json` response whose body orjson renders."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialise the content.

        Args:
            content: Any orjson-serialisable value.

        Returns:
            The UTF-8 JSON body.
        """
        return orjson.dumps(content)
