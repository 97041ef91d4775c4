"""Selling: order buttons, payment links, prices in the site's locale, and
the structured data search engines read, each tried with a real build as
an owner would write it."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from babel.numbers import format_currency

PRODUCT = "content/products/widget.md"
SITE = "content/site.yaml"
BUSINESS = "content/business.yaml"


def product(*lines: str, body: str = "A fine widget.") -> str:
    return "---\ntitle: Widget\nrequires: [design]\n" + "".join(f"{line}\n" for line in lines) + f"---\n{body}\n"


def site_yaml(*lines: str) -> str:
    return "base_url: https://example.com/\ntitle: Test Co\n" + "".join(f"{line}\n" for line in lines)


def json_ld(html: str) -> list[dict]:
    return [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def product_data(html: str) -> dict:
    return next(b for b in json_ld(html) if b["@type"] == "Product")


def business_data(html: str) -> dict:
    return next(b for b in json_ld(html) if b["@type"] in ("Organization", "LocalBusiness"))


def text_of(html: str) -> str:
    """The page's visible text, tags removed, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_product_with_a_payment_link_has_a_buy_button_and_no_quote_form(make_site):
    """As an owner with a Stripe Payment Link, my £6.50 jar gets a Buy
    button on its page and its card, and no quote form."""
    site = make_site({PRODUCT: product("price: 6.50", "currency: GBP", "buy_url: https://buy.stripe.com/test_abc")})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/products/widget/")
    assert '<a class="button button--buy" href="https://buy.stripe.com/test_abc" rel="noopener">Buy now</a>' in page
    assert "<form" not in page and "request-quote" not in page
    cards = site.page("/products/")
    assert 'href="https://buy.stripe.com/test_abc"' in cards
    assert "Buy now<span class=\"visually-hidden\">: Widget</span>" in cards
    home = site.page("/")
    assert 'href="https://buy.stripe.com/test_abc"' in home
    offer = product_data(page)["offers"]
    assert offer["url"] == "https://buy.stripe.com/test_abc"
    assert offer["availability"] == "https://schema.org/InStock"


def test_order_label_and_each_order_mode(make_site):
    """`order_label` is the button's words; `quote` has the form; `contact`
    leads to the contact page; `none` has neither button nor form."""
    site = make_site(
        {
            PRODUCT: product("price: 10", "currency: EUR", "buy_url: https://pay.example/w", "order_label: Get yours"),
            "content/products/bespoke.md": product("order: quote", "order_label: Ask for a price").replace(
                "Widget", "Bespoke"
            ),
            "content/products/chat.md": product("order: contact").replace("Widget", "Chat"),
            "content/products/museum.md": product("order: none", "price: 99", "currency: EUR").replace(
                "Widget", "Museum piece"
            ),
            "content/pages/contact.md": "---\ntitle: Contact\n---\nWrite to us.\n",
        }
    )
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert ">Get yours</a>" in site.page("/products/widget/")
    quote = site.page("/products/bespoke/")
    assert 'href="#request-quote">Ask for a price</a>' in quote and 'name="quote"' in quote
    chat = site.page("/products/chat/")
    assert '<a class="button" href="/contact/">Contact us to order</a>' in chat and "<form" not in chat
    museum = site.page("/products/museum/")
    assert "<form" not in museum and "request-quote" not in museum and "/contact/\">Contact us to order" not in museum
    assert 'class="product__buy"' in museum and "€99.00" in museum  # the price is still shown
    assert "button--buy" not in museum


def test_default_order_follows_buy_url_and_forms(make_site):
    """Without `order`: buy with a buy_url, else quote; with `forms: none`
    a contact button, by e-mail when there is no contact page."""
    site = make_site({PRODUCT: product("price: 10", "currency: EUR")})
    assert site.build().returncode == 0
    assert 'name="quote"' in site.page("/products/widget/")
    site.write({SITE: site_yaml("forms: none")})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/products/widget/")
    assert "<form" not in page
    assert 'href="mailto:hello@example.com?subject=Order%3A%20Widget">Order by email</a>' in page


def test_quote_without_forms_warns_and_shows_a_contact_button(make_site):
    site = make_site({SITE: site_yaml("forms: none"), PRODUCT: product("order: quote")})
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert f"{PRODUCT}:4: warning: 'order: quote' needs the site's forms" in run.stderr
    assert "Order by email" in site.page("/products/widget/")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_US", "$6,400"), ("de_DE", "6.400,00\xa0$")],
)
def test_prices_are_written_as_the_locale_writes_money(make_site, locale, expected):
    """6400 USD reads "$6,400.00" in en_US and "6.400,00 $" in de_DE, as
    Babel writes them; search engines get the plain "6400.00"."""
    site = make_site({SITE: site_yaml(f"locale: {locale}"), PRODUCT: product("price: 6400", "currency: USD", "unit: canoe")})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/products/widget/")
    shown = format_currency(Decimal("6400"), "USD", locale=locale)
    assert expected in shown
    assert f'<span class="price__amount">{shown}</span>' in page
    per = "per canoe" if locale.startswith("en") else "pro canoe"
    assert f'<span class="price__unit">{per}</span>' in page
    offer = product_data(page)["offers"]
    assert offer["price"] == "6400.00" and offer["priceCurrency"] == "USD"
    assert offer["@type"] == "Offer"


def test_locale_defaults_from_language_and_sets_it(make_site):
    site = make_site({SITE: site_yaml("language: de-CH"), PRODUCT: product("price: 6.5", "currency: CHF")})
    assert site.build().returncode == 0
    assert format_currency(Decimal("6.5"), "CHF", locale="de_CH") in site.page("/products/widget/")
    site.write({SITE: site_yaml("locale: fr_FR")})
    assert site.build().returncode == 0
    page = site.page("/products/widget/")
    assert '<html lang="fr-FR">' in page
    assert format_currency(Decimal("6.5"), "CHF", locale="fr_FR") in page


def test_site_currency_is_the_default_and_a_price_without_one_warns(make_site):
    site = make_site({SITE: site_yaml("currency: GBP"), PRODUCT: product("price: 12")})
    run = site.build()
    assert run.returncode == 0 and "warning" not in run.stderr, run.stderr
    assert "£12.00" in site.page("/products/widget/")
    site.write({SITE: site_yaml()})
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert f"{PRODUCT}:4: warning: 'price' has no currency" in run.stderr
    page = site.page("/products/widget/")
    assert '<span class="price__amount">12</span>' in page
    assert "offers" not in product_data(page)


WRONG_PRICES = [
    ('"from 45"', "'price' must be a number, got 'from 45': write 'price: 45' and 'price_from: true'"),
    ('"£6.50"', "'price' must be a number, got '£6.50': write the amount alone, 'price: 6.50', and the currency as a code, like 'currency: GBP'"),
    ('"6,400"', "'price' must be a number without thousands separators: write 'price: 6400'"),
    ('"4,50"', "'price' must be a number with a decimal point, not a comma: write 'price: 4.50'"),
    ('"45-60"', "'price' must be a number, got '45-60': write 'price: 45' and 'price_from: true'"),
    ('"45 per jar"', "'price' must be a number, got '45 per jar': write 'price: 45' and 'unit: jar'"),
    ('"€6,50"', "write the amount alone, 'price: 6.50', and the currency as a code, like 'currency: EUR'"),
    ('"1.234,56 €"', "write the amount alone, 'price: 1234.56'"),
    ('"٣"', "'price' must be a number like 6400 or 6.50, got '٣'"),
    ('"６"', "'price' must be a number like 6400 or 6.50, got '６'"),
    ('"+5"', "'price' must be a number without a sign: write 'price: 5'"),
    ("!!float 6.5", "'price' must be a plain number like 6.50, without a YAML tag"),
    ('"from"', "write the lowest price as a number and 'price_from: true'"),
    ('"CHF 12"', "'price' must be a number, got 'CHF 12': write the amount alone, 'price: 12', and the currency as a code, like 'currency: CHF'"),
    ("-3", "'price' must not be negative"),
    ("cheap", "'price' must be a number like 6400 or 6.50, got 'cheap'"),
    ("[1, 2]", "'price' must be text, got a list"),
    ("1" * 40, "'price' must have at most 12 digits before the decimal point"),
    ("1.123456", "'price' must have at most 4 decimals"),
]


def test_a_price_that_is_not_a_number_is_an_error_at_its_line(make_site):
    """Each wrong price is an error at its line saying what to write, all
    of them in one run, and the site built before stays as it was."""
    site = make_site()
    assert site.build().returncode == 0
    before = site.output_bytes()
    site.write(
        {
            f"content/products/p{index}.md": product("summary: A widget.", f"price: {written}", "currency: GBP")
            for index, (written, _) in enumerate(WRONG_PRICES)
        }
    )
    run = site.build()
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    for index, (written, advice) in enumerate(WRONG_PRICES):
        where = f"content/products/p{index}.md:5: "
        line = next((line for line in run.stderr.splitlines() if line.startswith(where)), None)
        assert line is not None, (written, run.stderr)
        assert line.startswith(f"{where}'price' must") and advice in line, line
    assert site.output_bytes() == before, "the previous site stays as it was"


def test_price_from_shows_a_starting_price(make_site):
    site = make_site({PRODUCT: product("price: 45", "price_from: true", "currency: GBP", "unit: per person")})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/products/widget/")
    assert '<span class="price__amount">from £45.00</span> <span class="price__unit">per person</span>' in page
    offer = product_data(page)["offers"]
    assert offer["@type"] == "AggregateOffer" and offer["lowPrice"] == "45.00" and "price" not in offer


def test_no_offer_without_a_price(make_site):
    site = make_site({PRODUCT: product()})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/products/widget/")
    assert "offers" not in product_data(page)
    assert "Price on request" in page
    assert "makesOffer" not in business_data(site.page("/"))


def test_made_to_order_shows_its_lead_time_and_says_so_to_search_engines(make_site):
    site = make_site(
        {PRODUCT: product("price: 6400", "currency: USD", "made_to_order: true", "lead_time: 10 weeks")}
    )
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/products/widget/")
    assert "Made to order Lead time 10 weeks" in text_of(page)
    assert product_data(page)["offers"]["availability"] == "https://schema.org/MadeToOrder"
    home_offer = business_data(site.page("/"))["makesOffer"][0]
    assert home_offer["availability"] == "https://schema.org/MadeToOrder"


def test_a_withdrawn_product_is_out_of_stock_with_no_button(make_site):
    site = make_site(
        {PRODUCT: product("price: 10", "currency: EUR", "status: paused", "buy_url: https://pay.example/w")}
    )
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/products/widget/")
    assert "https://pay.example/w" not in page
    offer = product_data(page)["offers"]
    assert offer["availability"] == "https://schema.org/OutOfStock"
    assert offer["url"] == "https://example.com/products/widget/"
    assert "https://pay.example/w" not in site.page("/products/")


WRONG_LINKS = ["javascript:alert(1)", "/checkout/widget", "mailto:shop@example.com", "//pay.example/w", "https://"]


def test_buy_url_must_be_a_full_web_link_and_buy_needs_one(make_site):
    site = make_site()
    assert site.build().returncode == 0
    files = {
        f"content/products/link{index}.md": product("summary: A widget.", f'buy_url: "{link}"')
        for index, link in enumerate(WRONG_LINKS)
    }
    # An empty buy_url (three ways) or none at all, with `order: buy`.
    empty = ['buy_url: ""', "buy_url:", 'buy_url: "  "', "summary: No link"]
    files.update({f"content/products/empty{index}.md": product("order: buy", line) for index, line in enumerate(empty)})
    site.write(files)
    run = site.build()
    assert run.returncode == 1
    for index, link in enumerate(WRONG_LINKS):
        assert f"content/products/link{index}.md:5: 'buy_url' must be a full https:// (or http://) link" in run.stderr
    for index in range(len(empty)):
        assert f"content/products/empty{index}.md:4: 'order: buy' needs a 'buy_url'" in run.stderr
    assert not any(f'"{link}"'.encode() in data for link in WRONG_LINKS for data in site.output_bytes().values())


def test_prices_keep_the_decimals_written_whatever_else_the_site_prices(make_site):
    """6.5 and 6.50 are equal numbers but not the same writing: each product
    shows its own (here without a currency, so as written)."""
    site = make_site(
        {
            PRODUCT: product("price: 6.5"),
            "content/products/other.md": product("price: 6.50").replace("Widget", "Other"),
        }
    )
    assert site.build().returncode == 0
    assert '<span class="price__amount">6.5</span>' in site.page("/products/widget/")
    assert '<span class="price__amount">6.50</span>' in site.page("/products/other/")


def test_a_product_ordered_by_contact_with_no_way_to_contact_warns(make_site):
    site = make_site(
        {
            BUSINESS: "name: Test Co\n",
            SITE: site_yaml("forms: none"),
            PRODUCT: product(),
        }
    )
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert (
        f"{PRODUCT}:2: warning: product 'Widget' is ordered by contacting you, but the site has no contact page"
        in run.stderr
    )


def test_a_locale_babel_knows_only_by_guessing_is_an_error(make_site):
    """Babel would turn en_ZZ into en_US: sitegen publishes no locale
    other than the one written."""
    site = make_site()
    for locale in ["en_ZZ", "und", "en_GB_oxendict", "../../etc/passwd", "root"]:
        site.write({SITE: site_yaml(f'locale: "{locale}"')})
        run = site.build()
        assert run.returncode == 1
        assert f"{SITE}:3: 'locale' must be a locale code" in run.stderr, locale


def test_a_country_code_that_is_no_country_warns(make_site):
    site = make_site({BUSINESS: "name: Test Co\ncontact:\n  address:\n    locality: Leeds\n    country: UK\n"})
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert f"{BUSINESS}:5: warning: 'contact.address.country' is not a country's two-letter code (ISO 3166) " \
        "(the United Kingdom's is GB)" in run.stderr
    site.write({BUSINESS: "name: Test Co\ncontact:\n  address:\n    locality: Leeds\n    country: ZZ\n"})
    run = site.build()
    assert "warning: 'contact.address.country' is not a country's" in run.stderr
    assert "Unknown Region" not in site.page("/")


def test_bad_currency_and_locale_are_errors_at_their_lines(make_site):
    site = make_site(
        {
            SITE: site_yaml("locale: xx_QQ", "currency: ABC"),
            PRODUCT: product("currency: Euro"),
            "content/products/old.md": product("currency: DEM").replace("Widget", "Old"),
        }
    )
    run = site.build()
    assert run.returncode == 1
    assert f"{SITE}:3: 'locale' must be a locale code" in run.stderr
    assert f"{SITE}:4: 'currency' must be a currency code like EUR, GBP or USD (ISO 4217), got 'ABC'" in run.stderr
    assert f"{PRODUCT}:4: 'currency' must be a currency code" in run.stderr
    assert "content/products/old.md:4: 'currency' must be a currency in use today" in run.stderr


def test_structured_address_is_a_postal_address_of_a_local_business(make_site):
    site = make_site(
        {
            BUSINESS: """
                name: Test Co
                contact:
                  email: hello@example.com
                  address:
                    street: 12 Mill Lane
                    locality: Leeds
                    region: West Yorkshire
                    postcode: LS9 7DZ
                    country: gb
            """
        }
    )
    run = site.build()
    assert run.returncode == 0, run.stderr
    home = site.page("/")
    data = business_data(home)
    assert data["@type"] == "LocalBusiness"
    assert data["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "12 Mill Lane",
        "addressLocality": "Leeds",
        "addressRegion": "West Yorkshire",
        "postalCode": "LS9 7DZ",
        "addressCountry": "GB",
    }
    assert "<address>12 Mill Lane<br>Leeds, West Yorkshire LS9 7DZ<br>United Kingdom</address>" in home
    seller = product_data(site.page("/products/widget/"))["offers"]["seller"]
    assert seller["@type"] == "Organization" and "address" not in seller


def test_address_as_text_stays_as_written_and_no_address_is_an_organization(make_site):
    site = make_site(
        {BUSINESS: "name: Test Co\ncontact:\n  address: \"1 High St, Leeds\"\n"}
    )
    assert site.build().returncode == 0
    data = business_data(site.page("/"))
    assert data["@type"] == "LocalBusiness" and data["address"] == "1 High St, Leeds"
    site.write({BUSINESS: "name: Test Co\ncontact:\n  email: a@example.com\n"})
    assert site.build().returncode == 0
    assert business_data(site.page("/"))["@type"] == "Organization"
    site.write({BUSINESS: "name: Test Co\ncontact:\n  address: [1, 2]\n"})
    run = site.build()
    assert run.returncode == 1
    assert f"{BUSINESS}:3: 'contact.address' must be text, or keys among street" in run.stderr


def test_calls_to_action_lead_to_the_contact_page_and_forms_link_the_privacy_page(make_site):
    site = make_site(
        {
            "content/pages/contact.md": "---\ntitle: Contact\n---\nWrite to us.\n",
            "content/pages/privacy.md": "---\ntitle: Privacy\n---\nWhat we keep.\n",
        }
    )
    run = site.build()
    assert run.returncode == 0, run.stderr
    home = site.page("/")
    hero = home[home.index('class="hero"'):home.index("</section>", home.index('class="hero"'))]
    assert 'href="/contact/">Get in touch</a>' in hero and "mailto:" not in hero
    work = home[home.index('id="work-with-us"'):]
    work = work[:work.index("</section>")]
    assert 'href="/contact/">Contact us</a>' in work and "mailto:" not in work
    footer = home[home.index("<footer"):]
    assert '<a href="/contact/">Send us a message</a>' in footer
    for url in ("/contact/", "/products/widget/"):
        page = site.page(url)
        forms = page.count("<form")
        assert forms == 1, url
        assert page.count('Read our <a href="/privacy/">privacy notice</a>') == forms, url


def test_without_a_contact_page_buttons_are_email(make_site):
    site = make_site()
    assert site.build().returncode == 0
    home = site.page("/")
    assert 'href="mailto:hello@example.com">Get in touch</a>' in home
    assert "/contact/" not in home
    assert "privacy notice" not in site.page("/products/widget/")


def test_init_ships_a_privacy_page_that_every_form_links(tmp_path):
    from conftest import cli_environment, run_cli

    folder = tmp_path / "new-site"
    env = cli_environment()
    assert run_cli(["init", str(folder)], cwd=tmp_path, environment=env).returncode == 0
    assert (folder / "content/pages/privacy.md").is_file()
    run = run_cli(["build"], cwd=folder, environment=env)
    assert run.returncode == 0, run.stderr
    contact = (folder / "public/contact/index.html").read_text()
    assert 'Read our <a href="/privacy/">privacy notice</a>' in contact
    assert (folder / "public/privacy/index.html").is_file()


def test_a_payment_link_on_any_host_is_kept_as_written(make_site):
    """Only form services must be nameable in the security policy: a Buy
    link is a plain link, whatever its host."""
    site = make_site({PRODUCT: product("price: 6.50", "currency: GBP", "buy_url: https://bücher.example/pay?item=7")})
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert 'href="https://bücher.example/pay?item=7"' in site.page("/products/widget/")
