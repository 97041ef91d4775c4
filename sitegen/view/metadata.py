"""Machine-readable page metadata: JSON-LD blocks and social-card fields.

Built only from the public view (so it cannot leak what the view does not
hold) for the routes stage, which puts it in each page's `meta`. JSON-LD is
serialised so that no value can close the `<script>` element it is printed
in: `<`, `>` and `&` are written as JSON unicode escapes. The blocks every
post page has (BlogPosting, BreadcrumbList) are objects that hold what they
are made from and write their JSON when printed (`__html__`), so that only
the pages a build renders pay for it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

from markupsafe import Markup

from .objects import Link, PublicPartner, PublicPost, PublicProduct, PublicSite

SCHEMA = "https://schema.org"


def absolute(base_url: str, url: str) -> str:
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) or url.startswith("//"):
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/")


def json_ld(data: dict[str, Any]) -> Markup:
    """`data` as JSON that is safe inside <script type="application/ld+json">."""
    text = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return Markup(text)


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _brief_organization(base_url: str, name: str, logo: str | None) -> dict[str, Any]:
    """The business as named in other blocks (publisher, seller)."""
    return _drop_empty(
        {
            "@type": "Organization",
            "name": name,
            "url": base_url,
            "logo": absolute(base_url, logo) if logo else None,
        }
    )


def _business_type(public: PublicSite) -> str:
    """A business with an address is a LocalBusiness to search engines."""
    return "LocalBusiness" if public.business.contact.address else "Organization"


def _postal_address(address: Any) -> Any:
    """Text as written, or a PostalAddress of the address's parts."""
    if address is None or isinstance(address, str):
        return address
    country = address.country
    if country and len(country) == 2 and country.isalpha():
        country = country.upper()
    return _drop_empty(
        {
            "@type": "PostalAddress",
            "streetAddress": ", ".join(line.strip() for line in (address.street or "").splitlines() if line.strip()),
            "addressLocality": address.locality,
            "addressRegion": address.region,
            "postalCode": address.postcode,
            "addressCountry": country,
        }
    )


def organization(public: PublicSite, full: bool = False) -> dict[str, Any]:
    business = public.business
    data = _brief_organization(public.base_url, business.name, str(business.logo) if business.logo else None)
    if full:
        # The whole business (home page); a seller or publisher stays an
        # Organization, named without its address.
        data["@type"] = _business_type(public)
        contact = business.contact
        data.update(
            {
                "description": business.summary or business.tagline,
                "slogan": business.tagline,
                "foundingDate": business.founded,
                "areaServed": business.service_area,
                "email": contact.email,
                "telephone": contact.phone,
                "address": _postal_address(contact.address),
                "sameAs": [link.url for link in business.social if link.url.startswith("http")],
                "knowsAbout": [c.title for c in public.capabilities],
                "contactPoint": _drop_empty(
                    {
                        "@type": "ContactPoint",
                        "contactType": "customer service",
                        "email": contact.email,
                        "telephone": contact.phone,
                        "areaServed": business.service_area,
                    }
                )
                if contact.email or contact.phone
                else None,
                "makesOffer": [
                    offer for p in public.products if (offer := _offer(public, p, with_item=True)) is not None
                ],
            }
        )
    return _drop_empty(data)


def _offer(public: PublicSite, product: PublicProduct, with_item: bool) -> dict[str, Any] | None:
    """The product's offer, or None when it has no price (or no currency):
    search engines refuse an offer without both. A starting price
    (`price_from`) is an AggregateOffer with its lowest price."""
    amount = product.price_value
    if amount is None:
        return None
    offer: dict[str, Any]
    if product.price_from:
        offer = {"@type": "AggregateOffer", "lowPrice": amount}
    else:
        offer = {"@type": "Offer", "price": amount}
    offer["priceCurrency"] = product.currency
    offer["availability"] = f"{SCHEMA}/{product.availability}"
    buy_url = product.buy_url if product.order == "buy" and product.available else None
    offer["url"] = buy_url or absolute(public.base_url, product.url)
    if with_item:
        offer["itemOffered"] = _drop_empty(
            {
                "@type": "Product",
                "name": product.title,
                "description": product.summary,
                "url": absolute(public.base_url, product.url),
            }
        )
    else:
        offer["seller"] = organization(public)
    return offer


def home_blocks(public: PublicSite) -> list[Markup]:
    website = {
        "@context": SCHEMA,
        "@type": "WebSite",
        "name": public.title,
        "url": public.base_url,
        "inLanguage": public.language,
    }
    return [json_ld({"@context": SCHEMA, **organization(public, full=True)}), json_ld(website)]


def store_blocks(public: PublicSite, partners: tuple[PublicPartner, ...]) -> Markup:
    """schema.org Store data for resellers (active credited partners only:
    the public view holds no other)."""
    stores = [
        _drop_empty(
            {
                "@type": "Store",
                "name": partner.name,
                "url": partner.url if partner.url else None,
                "address": partner.address,
                "description": partner.blurb,
                "hasMap": partner.map_url,
                # `hours` is free text; schema.org's openingHours wants "Mo-Fr 09:00-17:00".
                # No makesOffer: an offer without the reseller's own price
                # is one search engines refuse.
            }
        )
        for partner in partners
    ]
    return json_ld({"@context": SCHEMA, "@graph": stores})


def product_block(public: PublicSite, product: PublicProduct) -> Markup:
    data = _drop_empty(
        {
            "@context": SCHEMA,
            "@type": "Product",
            "name": product.title,
            "description": product.summary,
            "url": absolute(public.base_url, product.url),
            "image": absolute(public.base_url, str(product.image)) if product.image else None,
            "brand": {"@type": "Brand", "name": public.business.name},
            "offers": _offer(public, product, with_item=False),
        }
    )
    return json_ld(data)


@dataclass(frozen=True)
class PostBlock:
    """A post's BlogPosting block, written out when a page prints it.

    A big blog plans thousands of post pages and, in an incremental build,
    renders a few: the fields here are what the block is made from, so the
    page digest (cache.py) covers them without the JSON being written."""

    base_url: str
    name: str
    logo: str | None
    language: str
    post: PublicPost

    def __html__(self) -> str:
        return _post_block(self.base_url, self.name, self.logo, self.language, self.post)

    def __str__(self) -> str:
        return self.__html__()


@functools.lru_cache(maxsize=16384)
def _post_block(
    base_url: str, name: str, logo: str | None, language: str, post: PublicPost
) -> Markup:
    # Cached: a preview rebuild of a large blog asks for every post's block,
    # and only the edited post's inputs differ.
    publisher = _brief_organization(base_url, name, logo)
    author: dict[str, Any]
    if post.author:
        author = {"@type": "Person", "name": post.author}
    else:
        author = publisher
    data = _drop_empty(
        {
            "@context": SCHEMA,
            "@type": "BlogPosting",
            "headline": post.title,
            "description": post.summary,
            "datePublished": _iso(post),
            "dateModified": _iso(post),
            "url": absolute(base_url, post.url),
            "mainEntityOfPage": absolute(base_url, post.url),
            "image": absolute(base_url, str(post.image)) if post.image is not None else None,
            "author": author,
            "publisher": publisher,
            "keywords": [t.name for t in post.tags],
            "articleSection": [c.name for c in post.categories],
            "inLanguage": language,
        }
    )
    return json_ld(data)


def _iso(post: PublicPost) -> str:
    moment: datetime = post.date
    iso: str = moment.isoformat()
    return iso.replace("+00:00", "Z")


@dataclass(frozen=True)
class BreadcrumbBlock:
    """A page's BreadcrumbList block, written out when a page prints it."""

    base_url: str
    trail: tuple[Link, ...]

    def __html__(self) -> str:
        return _breadcrumb_block(self.base_url, self.trail)

    def __str__(self) -> str:
        return self.__html__()


# What a page's `meta.json_ld` holds: blocks Jinja prints as they are.
JsonLdBlock = Union[Markup, PostBlock, BreadcrumbBlock]


@functools.lru_cache(maxsize=16384)
def _breadcrumb_block(base_url: str, trail: tuple[Link, ...]) -> Markup:
    items = [
        {
            "@type": "ListItem",
            "position": index,
            "name": link.title,
            "item": absolute(base_url, link.url),
        }
        for index, link in enumerate(trail, start=1)
    ]
    return json_ld({"@context": SCHEMA, "@type": "BreadcrumbList", "itemListElement": items})
