"""How a product is sold, as the public view shows it: the order button,
the price in the site's locale, the words around it.

The theme is written in English; the few words this module puts next to a
price or on the Buy button follow the site's language where it knows them
(`WORDS`), so a `de_CH` site reads "ab CHF 45.00 pro Glas" and "Jetzt
kaufen". Money itself is written by Babel (content/money.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..content.money import country_name, format_money


@dataclass(frozen=True)
class Words:
    buy: str  # the Buy button
    starting: str  # a starting price: "from {price}"
    per: str  # a unit: "per {unit}"
    # A unit starting with one of these is shown as written ("each",
    # "per jar", "/ kg").
    unit_starts: tuple[str, ...]  # (and any unit starting with "/")


WORDS = {
    "en": Words("Buy now", "from {price}", "per {unit}", ("per", "each", "a", "an", "every", "for")),
    "de": Words("Jetzt kaufen", "ab {price}", "pro {unit}", ("pro", "je", "per", "für", "das", "der", "die")),
    "fr": Words("Acheter", "à partir de {price}", "par {unit}", ("par", "le", "la", "les", "l’", "l'", "pour")),
    "es": Words("Comprar", "desde {price}", "por {unit}", ("por", "el", "la", "cada", "para")),
    "it": Words("Acquista", "da {price}", "per {unit}", ("per", "al", "alla", "a", "ogni", "cad.")),
    "nl": Words("Nu kopen", "vanaf {price}", "per {unit}", ("per", "voor", "elk", "elke")),
    "pt": Words("Comprar", "a partir de {price}", "por {unit}", ("por", "cada", "o", "a", "para")),
    "sv": Words("Köp nu", "från {price}", "per {unit}", ("per", "för", "st")),
    "da": Words("Køb nu", "fra {price}", "pr. {unit}", ("pr.", "per", "for", "stk.")),
    "nb": Words("Kjøp nå", "fra {price}", "per {unit}", ("per", "pr.", "for", "stk.")),
    "pl": Words("Kup teraz", "od {price}", "za {unit}", ("za", "na", "od")),
}
WORDS["no"] = WORDS["nn"] = WORDS["nb"]


def words_for(locale: str) -> Words:
    """The words of the locale's language, English when it has none here."""
    return WORDS.get(locale.split("_")[0].casefold(), WORDS["en"])


def price_text(price: Decimal, currency: str | None, starting: bool, locale: str) -> str:
    """"£6.50", "from £45.00", "ab 45,00 €"."""
    money = format_money(price, currency, locale)
    return words_for(locale).starting.format(price=money) if starting else money


def unit_text(unit: str, locale: str) -> str:
    """"per 750 ml jar" for `750 ml jar`; "each" and "per jar" as written."""
    words = words_for(locale)
    first = unit.split()[0].casefold() if unit.split() else ""
    if unit.startswith("/") or first in words.unit_starts:
        return unit
    return words.per.format(unit=unit)


def address_lines(address: object, locale: str) -> tuple[str, ...]:
    """A postal address as lines to show: text as written (one line per
    line), or its parts with the country by name."""
    if address is None:
        return ()
    if isinstance(address, str):
        return tuple(line.strip() for line in address.splitlines() if line.strip())
    street = getattr(address, "street", None)
    locality = getattr(address, "locality", None)
    region = getattr(address, "region", None)
    postcode = getattr(address, "postcode", None)
    country = getattr(address, "country", None)
    lines = [line.strip() for line in (street or "").splitlines() if line.strip()]
    # "Springfield, IL 62701", "Leeds, West Yorkshire LS9 7DZ"
    town = ", ".join(part for part in (locality, " ".join(p for p in (region, postcode) if p)) if part)
    if town:
        lines.append(town)
    if country:
        lines.append(country_name(country, locale) or country)
    return tuple(lines)
