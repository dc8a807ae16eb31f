"""JSON encoding of values the Singer SDK hands to targets.

The SDK parses JSON numbers as `decimal.Decimal`; an API expects a JSON number back, not the
text `"4321.5"`, so both targets encode record values through here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def json_default(value: Any) -> Any:
    """`json.dumps` fallback: Decimals as JSON numbers (ints when integral)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    msg = f"Object of type {type(value).__name__} is not JSON serializable"
    raise TypeError(msg)


def dumps(value: Any) -> str:
    """Compact JSON text of `value`, Decimals included."""
    return json.dumps(value, separators=(",", ":"), default=json_default)
