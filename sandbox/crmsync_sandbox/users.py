"""The demo users both sandboxes seed, chosen so that owner matching meets every case.

Salesforce users get ids from the 005 key prefix in list order; ForceManager users get ids from 1.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoUser:
    """A user as both CRMs know it: first and last name, and an e-mail local part."""

    first_name: str
    last_name: str
    login: str


#: Salesforce users. The first one is the user the sandbox credentials log in as.
SALESFORCE_USERS: tuple[DemoUser, ...] = (
    DemoUser("Integration", "User", "integration"),
    DemoUser("Ana", "García", "ana.garcia"),  # matches "ana  GARCIA" after normalising
    DemoUser("Bruno", "Keller", "bruno.keller"),  # equal on both sides
    DemoUser("Chloé", "Dubois", "chloe.dubois"),  # equal on both sides
    DemoUser("Daniel", "Smith", "daniel.smith"),  # two ForceManager users share the name
    DemoUser("Elena", "Rossi", "elena.rossi"),  # no ForceManager counterpart
    DemoUser("Farid", "Haddad", "farid.haddad"),  # mapped by hand in the demo settings
)

#: ForceManager users. The first one is the user the sandbox API keys belong to.
FORCEMANAGER_USERS: tuple[DemoUser, ...] = (
    DemoUser("API", "Integration", "api"),
    DemoUser("ana ", "GARCIA", "agarcia"),
    DemoUser("Bruno", "Keller", "bkeller"),
    DemoUser("Chloé", "Dubois", "cdubois"),
    DemoUser("Daniel", "Smith", "dsmith"),
    DemoUser("Daniel", "Smith", "dsmith2"),
    DemoUser("Farid", "Al-Haddad", "fhaddad"),
    DemoUser("Greta", "Lind", "glind"),  # no Salesforce counterpart
)
