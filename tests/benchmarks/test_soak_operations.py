"""The soak's operation generator applies exactly the operations a round asks for."""

from __future__ import annotations

from typing import Any

import pytest
from crmsync_common.objects import FORCEMANAGER_RESOURCES
from crmsync_sandbox.forcemanager.schema import ALL_RESOURCES
from forcemanager_client.exceptions import ForceManagerAPIError

from benchmarks.soak import FIELD_VALUES, FIELDS, OPERATION_TRIES, Soak, SoakOptions

OPERATIONS = [
    "_op_update_one_side",
    "_op_update_both_same_field",
    "_op_update_both_other_fields",
    "_op_create_salesforce",
    "_op_create_forcemanager",
    "_op_delete_salesforce",
    "_op_delete_forcemanager",
    "_op_undelete_salesforce",
    "_op_create_then_delete",
    "_op_move_contact",
    "_op_change_owner",
    "_op_reschedule_event",
    "_op_delete_parent_with_children",
]


def _soak(outcomes: dict[str, Any]) -> Soak:
    """A soak whose operations answer as `outcomes` says (a text: applied; None: nothing to act
    on; an exception: refused by the CRM); the ones not named find nothing."""
    soak = Soak(sync=None, options=SoakOptions(seed=3))  # type: ignore[arg-type]

    def operation(name: str) -> Any:
        def run() -> str | None:
            outcome = outcomes.get(name)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        run.__name__ = name
        return run

    for name in OPERATIONS:
        setattr(soak, name, operation(name))
    return soak


def test_an_operation_with_nothing_to_act_on_or_refused_is_replaced_by_another() -> None:
    refused = ForceManagerAPIError(400, None, "The field 'date' is required")
    soak = _soak({
        "_op_change_owner": "salesforce owner of accounts 001 = 005",
        "_op_update_one_side": refused,
    })  # fmt: skip
    for _ in range(12):
        soak._operation()
    assert soak.result.operations == 12
    assert soak.result.failures == []
    assert soak.result.log.count("salesforce owner of accounts 001 = 005") == 12


def test_a_round_where_no_operation_applies_fails_loudly() -> None:
    soak = _soak({})
    soak._operation()
    assert soak.result.operations == 0
    assert soak.result.failures == [
        f"no operation could be applied in {OPERATION_TRIES} passes over them all"
    ]


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_is_one_the_generator_draws(name: str) -> None:
    soak = _soak({name: f"{name} applied"})
    soak._operation()
    assert soak.result.log[-1] == f"{name} applied"


class _ForceManager:
    """Records the bodies the soak sends and reads back what it stored."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def update(self, resource: str, record_id: int, body: dict[str, Any]) -> None:
        self.bodies.append(body)

    def get_json(self, path: str) -> dict[str, Any]:
        return dict(self.bodies[-1])


class _Sync:
    def __init__(self) -> None:
        self.forcemanager = _ForceManager()


@pytest.mark.parametrize(
    ("obj", "sf_field"),
    [("activities", "ActivityDate"), ("contacts", "FirstName"), ("opportunities", "Probability")],
)
def test_a_forcemanager_edit_never_empties_a_field_forcemanager_requires(
    obj: str, sf_field: str
) -> None:
    """ForceManager refuses an activity without its date ("The field 'date' is required"), a
    contact without a first name, an opportunity without a probability: no person can make
    such an edit, so the soak does not ask for one."""
    spec = next(f for f in FIELDS[obj] if f[0] == sf_field)
    sync = _Sync()
    soak = Soak(sync=sync, options=SoakOptions(seed=5))  # type: ignore[arg-type]
    soak._status_of_stage = {}
    sf = {"Id": "00T000000000001AAA", sf_field: None}
    fm = {"id": 1, spec[1]: None}
    for _ in range(60):
        soak._set("forcemanager", obj, sf, fm, spec)
    sent = [body[spec[1]] for body in sync.forcemanager.bodies]
    assert len(sent) == 60
    assert None not in sent, sent


class _Both:
    """Both CRMs' records of one object, as the soak reads them."""

    def __init__(self, sf: list[dict[str, Any]], fm: list[dict[str, Any]]) -> None:
        self.salesforce = self
        self.forcemanager = self
        self.sf, self.fm = sf, fm

    def iter_pages(self, path: str, page_size: int) -> list[list[dict[str, Any]]]:
        return [self.fm]

    def query(self, soql: str) -> list[dict[str, Any]]:
        if "WHERE Id = " in soql:
            wanted = soql.rsplit("'", 2)[-2]
            return [r for r in self.sf if r["Id"] == wanted]
        return self.sf


def test_a_pair_is_found_by_either_sides_link() -> None:
    """A ForceManager record created there, or matched by the first sync while it kept another
    system's `extId`, is linked by Salesforce's `ForceManager_Id__c` alone: the operations act
    on such pairs too, not only on the records the sync created in ForceManager."""
    sf = [
        {"Id": "001000000000001AAA", "ForceManager_Id__c": "7", "Name": "Matched"},
        {"Id": "001000000000002AAA", "ForceManager_Id__c": None, "Name": "Unlinked"},
    ]
    fm = [{"id": 7, "extId": "ACC-000004", "name": "Matched"}, {"id": 8, "name": "Unlinked"}]
    soak = Soak(sync=_Both(sf, fm), options=SoakOptions(seed=1))  # type: ignore[arg-type]
    pair = soak._pair("accounts")
    assert pair is not None
    assert (pair[0]["Id"], pair[1]["id"]) == ("001000000000001AAA", 7)


def test_the_soak_edits_the_mapped_address_fax_and_coordinate_fields() -> None:
    """The fields mapped with the whole ForceManager record are edited on both sides."""
    soak = Soak(sync=None, options=SoakOptions(seed=1))  # type: ignore[arg-type]
    editable = {(obj, sf, fm) for obj in FIELDS for sf, fm, _kind in soak._editable(obj)}
    assert {
        ("accounts", "Fax", "fax"),
        ("accounts", "BillingLatitude", "latitude"),
        ("accounts", "BillingLongitude", "longitude"),
        ("accounts", "BillingCountry", "countryId"),
        ("contacts", "Fax", "fax"),
        ("contacts", "MailingStreet", "address1"),
        ("contacts", "MailingCity", "city"),
        ("contacts", "MailingPostalCode", "postcode"),
        ("contacts", "MailingState", "region"),
        ("contacts", "MailingCountry", "countryId"),
        ("contacts", "Birthdate", "birthday"),
    } <= editable


def test_the_values_picked_per_field_fit_the_forcemanager_field() -> None:
    """A field's own values stay within what ForceManager takes (lengths, coordinate ranges):
    the over-long texts the soak sends on purpose are the generic ones, not these."""
    checked = 0
    for obj, specs in FIELDS.items():
        for sf_field, fm_field, kind in specs:
            definition = ALL_RESOURCES[FORCEMANAGER_RESOURCES[obj]].by_name.get(fm_field)
            if sf_field not in FIELD_VALUES or kind not in {"text", "number"} or not definition:
                continue
            for value in FIELD_VALUES[sf_field]:
                if value is None:
                    continue
                checked += 1
                if kind == "text":
                    assert len(value) <= (definition.max_length or 0), (obj, sf_field, value)
                else:
                    low, high = definition.minimum, definition.maximum
                    assert low is None or value >= low, (obj, sf_field, value)
                    assert high is None or value <= high, (obj, sf_field, value)
    assert checked > 30
