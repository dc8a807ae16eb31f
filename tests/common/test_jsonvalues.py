"""Record values reach the APIs as JSON numbers, not as text."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from crmsync_common.jsonvalues import dumps


def test_decimals_become_json_numbers() -> None:
    text = dumps({"total": Decimal("4321.5"), "count": Decimal(3), "name": "x"})
    assert json.loads(text) == {"total": 4321.5, "count": 3, "name": "x"}
    assert '"count":3' in text


def test_other_objects_still_fail_loudly() -> None:
    with pytest.raises(TypeError, match="set"):
        dumps({"bad": {1, 2}})
