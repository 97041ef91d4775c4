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
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
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
    if re.fullmatch(r"-\s*\d+(?:\.\d+)?", shown):
        return f"'{name}' must not be negative, got '{shown}'"
    words = shown.casefold().split()
    if words and words[0] in ("from", "ab", "dès", "desde", "da", "vanaf", "fra", "från"):
        rest = " ".join(shown.split()[1:])
        amount = re.sub(r"[^\d.]", "", rest) or "45"
        return (
            f"'{name}' must be a number, got '{shown}': write '{name}: {amount}' and 'price_from: true' "
            "to show it as a starting price"
        )
    if _CURRENCY_SIGNS.search(shown) and re.search(r"\d", shown):
        amount = re.sub(r"[^\d.]", "", shown) or "6.50"
        return (
            f"'{name}' must be a number, got '{shown}': write the amount alone, '{name}: {amount}', "
            "and the currency as a code, like 'currency: GBP'"
        )
    if re.fullmatch(r"[\d.,' ]+", shown) and re.search(r"\d", shown):
        return (
            f"'{name}' must be a number written with digits and at most one decimal point, like 6400 or 6.50, "
            f"got '{shown}'"
        )
    return f"'{name}' must be a number like 6400 or 6.50, got '{shown}'"


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
    """Every ISO 4217 code Babel knows."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


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

    try:
        return str(Locale.parse(text.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return None


def locale_for_language(language: str) -> str:
    """The locale of a language code (`en-GB` -> `en_GB`, `de` -> `de`);
    its first part alone when Babel does not know the whole; `en` when it
    knows neither."""
    return locale_name(language) or locale_name(language.split("-")[0]) or "en"


def machine_price(amount: Decimal, currency: str) -> str:
    """The amount as search engines read it: a point and the currency's
    decimals, `6400.00` (more when the owner wrote more)."""
    places = max(currency_digits(currency), decimals_of(amount))
    return f"{amount:.{places}f}"


@functools.lru_cache(maxsize=4096)
def format_money(amount: Decimal, currency: str | None, locale: str) -> str:
    """The amount as `locale` writes it: with its currency sign when there
    is a currency, else as a plain number with the decimals written."""
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
    if not re.fullmatch(r"[A-Za-z]{2}", code):
        return None
    from babel import Locale

    name = Locale.parse(locale).territories.get(code.upper())
    return str(name) if name else None
