"""Deterministic demo data: names, companies, addresses, phones, e-mails from a seeded RNG."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

FIRST_NAMES = (
    "Ana", "Bruno", "Carla", "David", "Eva", "Felix", "Gloria", "Hugo", "Irene", "Jorge",
    "Karin", "Luis", "Marta", "Nils", "Olga", "Pablo", "Quim", "Rosa", "Sergio", "Teresa",
    "Ulla", "Víctor", "Wendy", "Xavier", "Yara", "Zoé", "Óscar", "Inés", "Jürgen", "Amélie",
)  # fmt: skip
LAST_NAMES = (
    "García", "Martínez", "López", "Müller", "Schmidt", "Rossi", "Bianchi", "Dubois", "Martin",
    "Smith", "Jones", "Brown", "Silva", "Santos", "Nowak", "Kowalski", "Jensen", "Hansen",
    "Fernández", "Romero", "Navarro", "Torres", "Weber", "Lefèvre", "O'Brien", "Costa",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Iberia", "Nordic", "Atlas", "Vertex", "Solaris", "Orion", "Delta", "Helios",
    "Mistral", "Boreal", "Cobalt", "Granite", "Harbor", "Lumen", "Meridian", "Nimbus", "Pioneer",
)  # fmt: skip
COMPANY_KINDS = (
    "Logistics", "Foods", "Pharma", "Textiles", "Energy", "Software", "Motors", "Retail",
    "Consulting", "Construction", "Media", "Farms",
)  # fmt: skip
COMPANY_SUFFIXES = ("S.L.", "S.A.", "GmbH", "Ltd", "SAS", "Inc.", "AB", "S.p.A.")
CITIES = (
    ("Barcelona", "Catalonia", "08001", "Spain"),
    ("Madrid", "Madrid", "28001", "Spain"),
    ("Valencia", "Valencia", "46001", "Spain"),
    ("Lisbon", "Lisboa", "1100-148", "Portugal"),
    ("Paris", "Île-de-France", "75001", "France"),
    ("Lyon", "Auvergne-Rhône-Alpes", "69001", "France"),
    ("Berlin", "Berlin", "10115", "Germany"),
    ("München", "Bavaria", "80331", "Germany"),
    ("Milano", "Lombardy", "20121", "Italy"),
    ("London", "England", "EC1A 1BB", "United Kingdom"),
    ("New York", "NY", "10001", "United States"),
    ("Chicago", "IL", "60601", "United States"),
)  # fmt: skip
#: Latitude and longitude of each of CITIES.
CITY_COORDINATES = {
    "Barcelona": (41.3874, 2.1686),
    "Madrid": (40.4168, -3.7038),
    "Valencia": (39.4699, -0.3763),
    "Lisbon": (38.7223, -9.1393),
    "Paris": (48.8566, 2.3522),
    "Lyon": (45.764, 4.8357),
    "Berlin": (52.52, 13.405),
    "München": (48.1351, 11.582),
    "Milano": (45.4642, 9.19),
    "London": (51.5072, -0.1276),
    "New York": (40.7128, -74.006),
    "Chicago": (41.8781, -87.6298),
}
#: The second RNG, which draws the fields added to the demo records after the first ones, is
#: seeded this far from the main one, so the older fields keep their values for a given seed.
MORE_SEED_OFFSET = 7919
STREETS = ("Main St", "Gran Via", "Rue de Rivoli", "Hauptstraße", "Via Roma", "High Street")
SUBJECTS = (
    "Follow-up call", "Quarterly review", "Product demo", "Price negotiation", "Site visit",
    "Contract renewal", "Kick-off meeting", "Send proposal", "Collect feedback", "Onboarding",
)  # fmt: skip
PHRASES = (
    "Customer asked for a new quote.", "Interested in the premium plan.",
    "Call back next week.", "Needs approval from finance.", "Met at the trade fair.",
    "Wants a discount on volume.", "Very satisfied with the service.",
)  # fmt: skip

#: Demo dates fall in the two years before this instant, fixed so that a seed always yields the
#: same data whatever day it runs.
T = TypeVar("T")

DEMO_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_DEMO_SPAN_SECONDS = 2 * 365 * 24 * 3600


class DemoData:
    """Draws realistic-looking CRM values from one seeded RNG."""

    def __init__(self, seed: int | None) -> None:
        """Seed the generator.

        Args:
            seed: The seed; the same seed yields the same sequence of values.
        """
        self.rng = random.Random(seed)
        self._websites: dict[str, str] = {}

    def pick(self, options: Sequence[T]) -> T:
        """One element, drawn faster than `random.choice` (which matters for 600,000 records).

        Args:
            options: A non-empty sequence.

        Returns:
            The element.
        """
        return options[int(self.rng.random() * len(options))]

    def between(self, low: int, high: int) -> int:
        """An integer in `low..high` inclusive, faster than `random.randint`.

        Args:
            low: Smallest value.
            high: Largest value.

        Returns:
            The draw.
        """
        return low + int(self.rng.random() * (high - low + 1))

    def first_name(self) -> str:
        """A first name."""
        return self.pick(FIRST_NAMES)

    def last_name(self) -> str:
        """A last name."""
        return self.pick(LAST_NAMES)

    def company(self) -> str:
        """A company name such as `Atlas Foods S.L.`."""
        words = (self.pick(part) for part in (COMPANY_WORDS, COMPANY_KINDS, COMPANY_SUFFIXES))
        return " ".join(words)

    def city(self) -> tuple[str, str, str, str]:
        """A `(city, region, postcode, country)` tuple."""
        return self.pick(CITIES)

    def street(self) -> str:
        """A street address."""
        return f"{self.pick(STREETS)} {self.between(1, 250)}"

    def phone(self) -> str:
        """A phone number in international format."""
        return f"+34 9{self.between(10, 99)} {self.between(100, 999)} {self.between(100, 999)}"

    def email(self, first: str, last: str, domain: str = "example.com") -> str:
        """An e-mail address built from a name, accents removed.

        Args:
            first: First name.
            last: Last name.
            domain: Mail domain.

        Returns:
            E.g. `ana.garcia@example.com`.
        """
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        ascii_local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
        return f"{ascii_local}@{domain}"

    def website(self, company: str) -> str:
        """A website for a company name (memoised: company names repeat in large seeds)."""
        site = self._websites.get(company)
        if site is None:
            slug = "".join(ch for ch in company.lower() if ch.isalnum())[:24]
            site = self._websites[company] = f"https://www.{slug}.example.com"
        return site

    def subject(self) -> str:
        """A short activity or task subject."""
        return self.pick(SUBJECTS)

    def phrase(self) -> str:
        """A one-sentence comment."""
        return self.pick(PHRASES)

    def moment(self) -> datetime:
        """A UTC instant within the two years before `DEMO_EPOCH`, whole seconds."""
        return DEMO_EPOCH - timedelta(seconds=self.between(0, _DEMO_SPAN_SECONDS - 1))

    def maybe(self, share: float) -> bool:
        """True with the given probability.

        Args:
            share: Probability in 0..1.

        Returns:
            The draw.
        """
        return self.rng.random() < share


#: VAT number prefixes of the demo countries: both sandboxes seed VAT numbers with them.
VAT_PREFIXES = {
    "Spain": "ES",
    "Portugal": "PT",
    "France": "FR",
    "Germany": "DE",
    "Italy": "IT",
    "United Kingdom": "GB",
    "United States": "US",
}
