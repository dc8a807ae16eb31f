"""ForceManager ids read back from Salesforce's ForceManager_Id__c, plain or qualified."""

from __future__ import annotations

import pytest
from crmsync_common.keys import forcemanager_id_of_key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (12, 12),
        ("task:12", 12),
        ("activity:7", 7),
        (" 3 ", 3),
        ("", None),
        (None, None),
    ],
)
def test_plain_and_qualified_keys_name_the_forcemanager_id(value: object, expected: int) -> None:
    assert forcemanager_id_of_key(value) == expected


def test_a_key_naming_no_id_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        forcemanager_id_of_key("task:")
