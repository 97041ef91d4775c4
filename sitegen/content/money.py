"""Prices, currencies and locales, by Babel (CLDR data).

Which currency codes exist (ISO 4217, as Babel knows them), how many
decimals each uses, which locales exist, and how an amount is written in a
locale: "£6.50" in `en_GB`, "6.400,00 $" in `de_DE`. Prices are `Decimal`
values read from the text the owner wrote, never floats, so `6.10` is
6.10 everywhere. Babel is imported on first use: a site without prices
never pays for it.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

# A price as written: digits, optionally a point and decimals.
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$", re.ASCII)  # 0-9 only, not ٣ or ３
# Locale codes as Babel spells them (en, en_GB, sr_Latn_RS), or with
# hyphens as in <html lang>; anything else never reaches Babel's files.
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,3}$")
# Whole-number digits a price may have: a trillion is not a typo's limit,
# but 10^15 certainly is one.
MAX_WHOLE_DIGITS = 12
MAX_DECIMALS = 4
_CURRENCY_SIGNS = re.compile(r"[^\w\s.,]|\b[A-Za-z]{3}\b")


def parse_price(text: str) -> Decimal | None:
    """The amount `text` writes, or None when it is not a plain number."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    return Decimal(text)


def price_problem(text: str, name: str = "price") -> str:
    """What to write instead of `text`, which is not a plain number."""
    shown = text.strip()
    numbers = re.findall(r"[0-9]+(?:[.,'][0-9]+)*", shown)
    first = _plain_number(numbers[0]) if numbers else None
    if re.fullmatch(r"-\s*\d+(?:\.\d+)?", shown):
        return f"'{name}' must not be negative, got '{shown}'"
    if re.fullmatch(r"\+\s*[0-9]+(?:\.[0-9]+)?", shown):
        return f"'{name}' must be a number without a sign: write '{name}: {shown.lstrip('+ ')}'"
    words = shown.casefold().split()
    starting = bool(words) and words[0] in ("from", "ab", "dès", "desde", "da", "vanaf", "fra", "från", "od")
    ranged = re.search(r"\d\s*(?:-|–|—|to)\s*\D{0,3}\d", shown)
    if starting or ranged:
        lowest = f"'{name}: {first}'" if first else "the lowest price as a number"
        return (
            f"'{name}' must be a number, got '{shown}': write {lowest} and 'price_from: true' "
            "to show it as a starting price"
        )
    unit = re.search(r"\d\s*(?:/|\bper\b|\beach\b|\ba\b)\s*(.*)$", shown, re.IGNORECASE)
    if unit and first:
        what = unit.group(1).strip() or "jar"
        return f"'{name}' must be a number, got '{shown}': write '{name}: {first}' and '{unit_key(name)}: {what}'"
    if re.fullmatch(r"\d+,\d{1,2}", shown):
        return f"'{name}' must be a number with a decimal point, not a comma: write '{name}: {shown.replace(',', '.')}'"
    if re.fullmatch(r"\d{1,3}(?:[,' ]\d{3})+(?:\.\d+)?", shown):
        plain = re.sub(r"[,' ]", "", shown)
        return f"'{name}' must be a number without thousands separators: write '{name}: {plain}'"
    if _CURRENCY_SIGNS.search(shown) and first:
        return (
            f"'{name}' must be a number, got '{shown}': write the amount alone, '{name}: {first}', "
            f"and the currency as a code, like 'currency: {_code_in(shown)}'"
        )
    if re.fullmatch(r"\.\d+", shown):
        return f"'{name}' must be a number with a digit before the point: write '{name}: 0{shown}'"
    if re.fullmatch(r"\d+\.", shown):
        return f"'{name}' must be a number with digits after the point, or none: write '{name}: {shown[:-1]}'"
    return f"'{name}' must be a number like 6400 or 6.50, got '{shown}'"


def _plain_number(written: str) -> str:
    """A number as people write it ("6,50", "1.234,56", "6,400", "1'234")
    as a price is written: 6.50, 1234.56, 6400, 1234."""
    if re.fullmatch(r"[0-9]+,[0-9]{1,2}", written):
        return written.replace(",", ".")
    if re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]{1,2}", written):
        return written.replace(".", "").replace(",", ".")
    return re.sub(r"[,']", "", written)


_SIGNS = {"£": "GBP", "€": "EUR", "$": "USD", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY"}


def _code_in(text: str) -> str:
    """The currency code `text` names or whose sign it uses; GBP when none."""
    words: list[str] = re.findall(r"\b[A-Za-z]{3}\b", text)
    for word in words:
        if word.upper() in currencies():
            return word.upper()
    return next((code for sign, code in _SIGNS.items() if sign in text), "GBP")


def unit_key(name: str) -> str:
    """The unit key beside a price key (`price` -> `unit`)."""
    return name[: -len("price")] + "unit" if name.endswith("price") else "unit"


def size_problem(amount: Decimal, name: str = "price") -> str | None:
    """Why an amount is too long to be a price, or None."""
    sign, digits, exponent = amount.as_tuple()
    decimals = -int(exponent) if isinstance(exponent, int) and exponent < 0 else 0
    whole = len(digits) - decimals
    if whole > MAX_WHOLE_DIGITS:
        return f"'{name}' must have at most {MAX_WHOLE_DIGITS} digits before the decimal point"
    if decimals > MAX_DECIMALS:
        return f"'{name}' must have at most {MAX_DECIMALS} decimals"
    return None


@functools.cache
def currencies() -> frozenset[str]:
    """The ISO 4217 codes in use today: legal tender somewhere, by Babel's
    (CLDR's) territory data. Old codes (DEM, VEF) and the codes for tests
    and "no currency" (XTS, XXX) are not among them."""
    from babel.core import get_global

    return frozenset(
        code
        for entries in get_global("territory_currencies").values()
        for code, _start, end, tender in entries
        if end is None and tender
    )


@functools.cache
def former_currencies() -> frozenset[str]:
    """Codes Babel knows that are not in use today."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies()) - currencies()


def currency_digits(code: str) -> int:
    """How many decimals `code` uses: 2 for GBP, 0 for JPY, 3 for BHD."""
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(code))


def decimals_of(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@functools.lru_cache(maxsize=256)
def locale_name(text: str) -> str | None:
    """Babel's name of the locale `text` names (`en-gb` -> `en_GB`), or
    None when there is no such locale."""
    if not _LOCALE.match(text):
        return None
    from babel import Locale, UnknownLocaleError

    written = text.replace("-", "_")
    try:
        found = str(Locale.parse(written))
    except (UnknownLocaleError, ValueError):
        return None
    # Babel fills in what it guesses (en_ZZ -> en_US, und -> en_US): only a
    # locale it knows as written is one.
    return found if found.casefold() == written.casefold() else None


def locale_for_language(language: str) -> str:
    """The locale of a language code (`en-GB` -> `en_GB`, `de` -> `de`);
    its first part alone when Babel does not know the whole; `en` when it
    knows neither."""
    return locale_name(language) or locale_name(language.split("-")[0]) or "en"


def machine_price(amount: Decimal, currency: str) -> str:
    """The amount as search engines read it: a point and the currency's
    decimals, `6400.00` (more only when more digits matter: 0.125)."""
    places = max(currency_digits(currency), decimals_of(amount.normalize()))
    return f"{amount:.{places}f}"


def format_money(amount: Decimal, currency: str | None, locale: str) -> str:
    """The amount as `locale` writes it: with its currency sign when there
    is a currency, else as a plain number with the decimals written."""
    # Decimal("6.5") == Decimal("6.50"): the cache is keyed by the text.
    return _format_money(str(amount), currency, locale)


@functools.lru_cache(maxsize=4096)
def _format_money(written: str, currency: str | None, locale: str) -> str:
    amount = Decimal(written)
    if currency is None:
        from babel.numbers import format_decimal

        places = decimals_of(amount)
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return str(format_decimal(amount, format=pattern, locale=locale))
    from babel.numbers import format_currency

    # Written decimals beyond the currency's own are kept, never rounded.
    return str(format_currency(amount, currency, locale=locale, decimal_quantization=False))


@functools.lru_cache(maxsize=1024)
def country_name(code: str, locale: str) -> str | None:
    """The name of the country with ISO 3166 code `code` in `locale`
    (`GB` -> "United Kingdom"), or None when `code` is not one."""
    if not is_country(code):
        return None
    from babel import Locale

    name = Locale.parse(locale).territories.get(code.upper())
    return str(name) if name else None


def is_country(code: str) -> bool:
    """Whether `code` is an ISO 3166 two-letter code of a country or
    territory (not ZZ "unknown region" or EU)."""
    if not re.fullmatch(r"[A-Za-z]{2}", code):
        return False
    from babel.core import get_global

    return code.upper() in get_global("territory_currencies") and code.upper() not in ("ZZ", "EU")
