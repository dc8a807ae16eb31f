"""The sandbox org's objects and fields, and their describe renderings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: Describe ``soapType`` of each field type.
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "textarea": "xsd:string",
    "picklist": "xsd:string",
    "phone": "xsd:string",
    "url": "xsd:string",
    "email": "xsd:string",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
#: Field types whose values are text (length-checked, compared case-insensitively).
TEXT_TYPES = frozenset({"string", "textarea", "picklist", "phone", "url", "email"})
#: Field types holding numbers.
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
#: Field types holding record ids.
ID_TYPES = frozenset({"id", "reference"})

#: Opportunity stages, and which ones close and win the opportunity.
OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
CLOSED_STAGES = frozenset({"Closed Won", "Closed Lost"})
WON_STAGE = "Closed Won"
#: Default probability per stage, applied on create when none is given, as in a real org.
STAGE_PROBABILITY = {
    "Prospecting": 10,
    "Qualification": 20,
    "Proposal": 50,
    "Negotiation": 80,
    "Closed Won": 100,
    "Closed Lost": 0,
}
TASK_STATUSES = ("Not Started", "In Progress", "Completed")
TASK_CLOSED_STATUS = "Completed"


@dataclass(frozen=True)
class FieldDef:
    """One field of an sObject, with the attributes describe reports."""

    name: str
    label: str
    type: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted_on_create: bool = False
    custom: bool = False
    external_id: bool = False
    unique: bool = False
    calculated: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    picklist_default: str | None = None
    restricted_picklist: bool = False
    default: Any = None

    @property
    def required_on_create(self) -> bool:
        """Whether a create must give this field (createable, not nillable, no default)."""
        return self.createable and not self.nillable and not self.defaulted_on_create

    def describe(self) -> dict[str, Any]:
        """Return the field's describe entry."""
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "soapType": _SOAP_TYPES[self.type],
            "length": self.length,
            "byteLength": self.length * 3,
            "precision": self.precision,
            "scale": self.scale,
            "digits": 9 if self.type == "int" else 0,
            "custom": self.custom,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "defaultedOnCreate": self.defaulted_on_create,
            "defaultValue": self.default,
            "externalId": self.external_id,
            "idLookup": self.external_id or self.type == "id",
            "unique": self.unique,
            "caseSensitive": False,
            "calculated": self.calculated,
            "calculatedFormula": None,
            "autoNumber": False,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "polymorphicForeignKey": len(self.reference_to) > 1,
            "namePointing": len(self.reference_to) > 1,
            "picklistValues": [
                {
                    "value": value,
                    "label": value,
                    "active": True,
                    "defaultValue": value == self.picklist_default,
                    "validFor": None,
                }
                for value in self.picklist
            ],
            "restrictedPicklist": self.restricted_picklist,
            "dependentPicklist": False,
            "filterable": self.type != "textarea",
            "sortable": self.type != "textarea",
            "groupable": self.type not in {"textarea", "double", "currency", "percent"},
            "compoundFieldName": None,
            "htmlFormatted": False,
            "nameField": self.name == "Name",
            "deprecatedAndHidden": False,
        }


@dataclass
class ObjectDef:
    """One sObject: name, key prefix and fields in describe order."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    deletable: bool = True

    def __post_init__(self) -> None:
        self._by_lower = {name.lower(): f for name, f in self.fields.items()}

    def add_field(self, fdef: FieldDef) -> None:
        """Add a (custom) field at the end of the field list."""
        self.fields[fdef.name] = fdef
        self._by_lower[fdef.name.lower()] = fdef

    def remove_field(self, name: str) -> None:
        """Drop a field (an org set up without it)."""
        fdef = self.get(name)
        if fdef is not None:
            del self.fields[fdef.name]
            del self._by_lower[fdef.name.lower()]

    def get(self, name: str) -> FieldDef | None:
        """Return the field called ``name`` (case-insensitive), or ``None``."""
        return self._by_lower.get(name.lower())

    @property
    def createable_by_api(self) -> bool:
        """Whether records can be created through the API (all but User here)."""
        return self.name != "User"

    @property
    def has_is_deleted(self) -> bool:
        """Whether records of this object go to the recycle bin (all but User)."""
        return "IsDeleted" in self.fields

    def urls(self, version: str) -> dict[str, str]:
        """Return the object's ``urls`` block for API version ``version`` (``v59.0``)."""
        base = f"/services/data/{version}/sobjects/{self.name}"
        return {
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        }

    def _flags(self) -> dict[str, Any]:
        writable = self.name != "User"
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": False,
            "customSetting": False,
            "createable": writable,
            "updateable": writable,
            "deletable": self.deletable,
            "queryable": True,
            "replicateable": True,
            "retrieveable": True,
            "searchable": True,
            "triggerable": True,
            "undeletable": self.deletable,
            "mergeable": self.name in {"Account", "Contact"},
            "layoutable": True,
            "activateable": False,
            "feedEnabled": True,
            "mruEnabled": True,
            "deprecatedAndHidden": False,
        }

    def global_entry(self, version: str) -> dict[str, Any]:
        """Return the object's entry in the global describe."""
        return {**self._flags(), "urls": self.urls(version)}

    def describe(self, version: str) -> dict[str, Any]:
        """Return the full sObject describe."""
        return {
            **self._flags(),
            "fields": [f.describe() for f in self.fields.values()],
            "childRelationships": [],
            "recordTypeInfos": [],
            "urls": self.urls(version),
        }


def _ro(name: str, label: str, type_: str, **kw: Any) -> FieldDef:
    """A read-only field (system-maintained or derived)."""
    return FieldDef(name, label, type_, createable=False, updateable=False, **kw)


def _ref(name: str, label: str, targets: tuple[str, ...], rel: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name, label, "reference", length=18, reference_to=targets, relationship_name=rel, **kw
    )


def _text(name: str, label: str, length: int, **kw: Any) -> FieldDef:
    return FieldDef(name, label, "string", length=length, **kw)


def _pick(name: str, label: str, values: tuple[str, ...], **kw: Any) -> FieldDef:
    return FieldDef(name, label, "picklist", length=255, picklist=values, **kw)


def _audit(owner: bool = True, deletable: bool = True) -> list[FieldDef]:
    fields = [_ro("Id", "Record ID", "id", length=18, nillable=False, defaulted_on_create=True)]
    if deletable:
        fields.append(_ro("IsDeleted", "Deleted", "boolean", nillable=False, default=False))
    if owner:
        fields.append(
            _ref(
                "OwnerId",
                "Owner ID",
                ("User",),
                "Owner",
                nillable=False,
                defaulted_on_create=True,
            )
        )
    user = ("User",)
    fields += [
        _ro("CreatedDate", "Created Date", "datetime", nillable=False, defaulted_on_create=True),
        replace(
            _ref("CreatedById", "Created By ID", user, "CreatedBy", nillable=False),
            createable=False,
            updateable=False,
            defaulted_on_create=True,
        ),
        _ro(
            "LastModifiedDate",
            "Last Modified Date",
            "datetime",
            nillable=False,
            defaulted_on_create=True,
        ),
        replace(
            _ref("LastModifiedById", "Last Modified By ID", user, "LastModifiedBy", nillable=False),
            createable=False,
            updateable=False,
            defaulted_on_create=True,
        ),
        _ro(
            "SystemModstamp",
            "System Modstamp",
            "datetime",
            nillable=False,
            defaulted_on_create=True,
        ),
    ]
    return fields


#: The external-id field the sync keeps ForceManager's id in (absent from a bare org).
FM_ID_FIELD = "ForceManager_Id__c"


def _fm_id() -> FieldDef:
    return _text(
        FM_ID_FIELD,
        "ForceManager Id",
        20,
        custom=True,
        external_id=True,
        unique=True,
    )


def _object(name: str, plural: str, prefix: str, fields: list[FieldDef], **kw: Any) -> ObjectDef:
    label = "".join(" " + c if c.isupper() and i else c for i, c in enumerate(name))
    return ObjectDef(name, label, plural, prefix, {f.name: f for f in fields}, **kw)


def _user() -> ObjectDef:
    fields = [
        *_audit(owner=False, deletable=False),
        _text("Username", "Username", 80, nillable=False, unique=True),
        _text("FirstName", "First Name", 40),
        _text("LastName", "Last Name", 80, nillable=False),
        _ro("Name", "Full Name", "string", length=121, nillable=False, calculated=True),
        FieldDef("Email", "Email", "email", length=128, nillable=False),
        FieldDef("IsActive", "Active", "boolean", nillable=False, defaulted_on_create=True),
    ]
    return _object("User", "Users", "005", fields, deletable=False)


def _account() -> ObjectDef:
    types = ("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")
    industries = (
        "Agriculture",
        "Banking",
        "Chemicals",
        "Construction",
        "Education",
        "Energy",
        "Healthcare",
        "Manufacturing",
        "Retail",
        "Technology",
        "Other",
    )
    fields = [
        *_audit(),
        _text("Name", "Account Name", 255, nillable=False),
        _pick("Type", "Account Type", types),
        _pick("Industry", "Industry", industries),
        FieldDef("Phone", "Account Phone", "phone", length=40),
        FieldDef("Website", "Website", "url", length=255),
        FieldDef("BillingStreet", "Billing Street", "textarea", length=255),
        _text("BillingCity", "Billing City", 40),
        _text("BillingPostalCode", "Billing Zip/Postal Code", 20),
        _text("BillingState", "Billing State/Province", 80),
        _text("BillingCountry", "Billing Country", 80),
        FieldDef("BillingLatitude", "Billing Latitude", "double", precision=18, scale=15),
        FieldDef("BillingLongitude", "Billing Longitude", "double", precision=18, scale=15),
        FieldDef("Fax", "Account Fax", "phone", length=40),
        FieldDef("Description", "Account Description", "textarea", length=32000),
        FieldDef("NumberOfEmployees", "Employees", "int", precision=8),
        FieldDef("AnnualRevenue", "Annual Revenue", "currency", precision=18),
        _fm_id(),
        _pick(
            "Customer_Tier__c",
            "Customer Tier",
            ("Gold", "Silver", "Bronze"),
            custom=True,
            restricted_picklist=True,
        ),
        FieldDef("Annual_Visits__c", "Annual Visits", "double", precision=6, custom=True),
        FieldDef(
            "Is_Key_Account__c",
            "Is Key Account",
            "boolean",
            custom=True,
            nillable=False,
            defaulted_on_create=True,
            default=False,
        ),
        FieldDef("Contract_Start__c", "Contract Start", "date", custom=True),
        _text("Account_Notes__c", "Account Notes", 255, custom=True),
        # an org's own field for the VAT number (Salesforce has no standard one): paired with
        # ForceManager's vatNumber through the settings' field_mapping
        _text("VAT_Number__c", "VAT Number", 20, custom=True),
    ]
    return _object("Account", "Accounts", "001", fields)


def _contact() -> ObjectDef:
    fields = [
        *_audit(),
        _ref("AccountId", "Account ID", ("Account",), "Account"),
        _text("FirstName", "First Name", 40),
        _text("LastName", "Last Name", 80, nillable=False),
        _ro("Name", "Full Name", "string", length=121, nillable=False, calculated=True),
        FieldDef("Email", "Email", "email", length=80),
        FieldDef("Phone", "Business Phone", "phone", length=40),
        FieldDef("MobilePhone", "Mobile Phone", "phone", length=40),
        FieldDef("Fax", "Business Fax", "phone", length=40),
        _text("Title", "Title", 128),
        FieldDef("MailingStreet", "Mailing Street", "textarea", length=255),
        _text("MailingCity", "Mailing City", 40),
        _text("MailingPostalCode", "Mailing Zip/Postal Code", 20),
        _text("MailingState", "Mailing State/Province", 80),
        _text("MailingCountry", "Mailing Country", 80),
        FieldDef("Birthdate", "Birthdate", "date"),
        FieldDef("Description", "Contact Description", "textarea", length=32000),
        _fm_id(),
        _pick(
            "Preferred_Channel__c",
            "Preferred Channel",
            ("Email", "Phone", "Visit"),
            custom=True,
            restricted_picklist=True,
        ),
        FieldDef(
            "Newsletter_Opt_In__c",
            "Newsletter Opt In",
            "boolean",
            custom=True,
            nillable=False,
            defaulted_on_create=True,
            default=False,
        ),
    ]
    return _object("Contact", "Contacts", "003", fields)


def _opportunity() -> ObjectDef:
    fields = [
        *_audit(),
        _ref("AccountId", "Account ID", ("Account",), "Account"),
        _text("Name", "Name", 120, nillable=False),
        _pick("StageName", "Stage", OPPORTUNITY_STAGES, nillable=False, restricted_picklist=True),
        FieldDef("Amount", "Amount", "currency", precision=18, scale=2),
        FieldDef("Probability", "Probability (%)", "percent", precision=3),
        FieldDef("CloseDate", "Close Date", "date", nillable=False),
        FieldDef("Description", "Description", "textarea", length=32000),
        _ro("IsClosed", "Closed", "boolean", nillable=False, defaulted_on_create=True),
        _ro("IsWon", "Won", "boolean", nillable=False, defaulted_on_create=True),
        _fm_id(),
        _text("Competitor__c", "Competitor", 100, custom=True),
        FieldDef(
            "Discount_Percent__c", "Discount Percent", "percent", precision=5, scale=2, custom=True
        ),
    ]
    return _object("Opportunity", "Opportunities", "006", fields)


def _activity_links() -> list[FieldDef]:
    return [
        _ref("WhoId", "Name ID", ("Contact",), "Who"),
        _ref("WhatId", "Related To ID", ("Account", "Opportunity"), "What"),
        replace(
            _ref("AccountId", "Account ID", ("Account",), "Account"),
            createable=False,
            updateable=False,
        ),
    ]


def _task() -> ObjectDef:
    fields = [
        *_audit(),
        _text("Subject", "Subject", 255),
        _pick("Status", "Status", TASK_STATUSES, nillable=False),
        _pick(
            "Priority",
            "Priority",
            ("High", "Normal", "Low"),
            nillable=False,
            defaulted_on_create=True,
            picklist_default="Normal",
            default="Normal",
        ),
        FieldDef("ActivityDate", "Due Date Only", "date"),
        FieldDef("Description", "Description", "textarea", length=32000),
        *_activity_links(),
        _ro("IsClosed", "Closed", "boolean", nillable=False, defaulted_on_create=True),
        replace(
            _pick(
                "TaskSubtype",
                "Task Subtype",
                ("Task", "Call", "Email"),
                defaulted_on_create=True,
                picklist_default="Task",
                default="Task",
                restricted_picklist=True,
            ),
            updateable=False,
        ),
        _fm_id(),
    ]
    return _object("Task", "Tasks", "00T", fields)


def _event() -> ObjectDef:
    fields = [
        *_audit(),
        _text("Subject", "Subject", 255),
        FieldDef("StartDateTime", "Start Date Time", "datetime", nillable=False),
        FieldDef("EndDateTime", "End Date Time", "datetime", nillable=False),
        FieldDef(
            "IsAllDayEvent",
            "All-Day Event",
            "boolean",
            nillable=False,
            defaulted_on_create=True,
            default=False,
        ),
        _text("Location", "Location", 255),
        FieldDef("Description", "Description", "textarea", length=32000),
        *_activity_links(),
        _fm_id(),
    ]
    return _object("Event", "Events", "00U", fields)


def _permission_set() -> ObjectDef:
    fields = [
        *_audit(owner=False, deletable=False),
        _text("Name", "Name", 80, nillable=False, unique=True),
        _text("Label", "Label", 80, nillable=False),
        _text("Description", "Description", 255),
        _ro("IsOwnedByProfile", "Is Owned By Profile", "boolean", nillable=False, default=False),
    ]
    return _object("PermissionSet", "Permission Sets", "0PS", fields, deletable=False)


def _permission_set_assignment() -> ObjectDef:
    fields = [
        *_audit(owner=False, deletable=False),
        _ref("AssigneeId", "Assignee ID", ("User",), "Assignee", nillable=False),
        _ref(
            "PermissionSetId",
            "Permission Set ID",
            ("PermissionSet",),
            "PermissionSet",
            nillable=False,
        ),
    ]
    return _object(
        "PermissionSetAssignment", "Permission Set Assignments", "0Pa", fields, deletable=False
    )


def _field_permissions() -> ObjectDef:
    fields = [
        *_audit(owner=False, deletable=False),
        _ref("ParentId", "Parent ID", ("PermissionSet",), "Parent", nillable=False),
        _text("SobjectType", "Sobject Type Name", 40, nillable=False),
        _text("Field", "Field Name", 80, nillable=False),
        FieldDef(
            "PermissionsRead",
            "Read Access",
            "boolean",
            nillable=False,
            defaulted_on_create=True,
            default=False,
        ),
        FieldDef(
            "PermissionsEdit",
            "Edit Access",
            "boolean",
            nillable=False,
            defaulted_on_create=True,
            default=False,
        ),
    ]
    return _object("FieldPermissions", "Field Permissions", "01k", fields, deletable=False)


def build_objects(*, bare: bool = False) -> dict[str, ObjectDef]:
    """Return a fresh set of the org's standard objects (custom fields get added to it).

    Args:
        bare: leave ``ForceManager_Id__c`` off every object (an org not yet set up for sync).
    """
    objects = [_user(), _account(), _contact(), _opportunity(), _task(), _event()]
    if bare:
        for obj in objects:
            obj.remove_field(FM_ID_FIELD)
    objects += [_permission_set(), _permission_set_assignment(), _field_permissions()]
    return {o.name: o for o in objects}


def label_of(name: str) -> str:
    """Return a label for an API name (``Customer_Tier__c`` -> ``Customer Tier``)."""
    return name.removesuffix("__c").replace("_", " ")
