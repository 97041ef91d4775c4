"""Stage 2, model: the records of each kind read into the model classes
of model.py (the schema), with every problem collected at its file and
line; cross-references between partners, capabilities and products
checked, and the network derived for the build date (network.py).
`build_model` is the stage; `ModelMemo` lets the preview keep the objects
of unchanged files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from ..deploy import BaseUrlChoice
from ..errors import Problem, Problems
from .fields import Fields, base_url_problem
from .load import Record, Records
from .money import locale_for_language
from .network import check_network, check_sells, derive_network
from ..incremental.cache import made
from ..incremental.memo import Memo
from .model import Business, Capability, Page, Partner, Post, Product, Site, SiteConfig, Source, T
from .network import Network
from .schema import key_names, read_entry
from .seasons import mixed_forms
from .slugs import slugify


def _source(record: Record, problems: Problems) -> Source:
    return Source(problems.display_path(record.path), record.data.line or 1)


def _file_slug(record: Record, problems: Problems) -> str | None:
    slug = slugify(record.slug)
    if not slug:
        problems.error(
            record.path,
            1,
            "the file name gives an empty URL slug: name the file with letters or digits",
        )
        return None
    return slug


def _fields(record: Record, problems: Problems, kind: type) -> Fields:
    f = Fields(record.data, record.path, problems, key_names(kind))
    f.warn_unknown()
    return f


def build_config(
    record: Record,
    root: Path,
    problems: Problems,
    business_name: str | None,
    deploy_url: BaseUrlChoice = BaseUrlChoice(),
) -> SiteConfig:
    f = _fields(record, problems, SiteConfig)
    base_url = _choose_base_url(f, deploy_url, problems)
    values, _ = read_entry(SiteConfig, f, skip=("base_url",))
    theme = values["theme"]
    if theme != "default" and _no_such_folder(root / "themes" / theme):
        f.error("theme", f"theme '{theme}' not found: expected a folder themes/{theme}/")
        values["theme"] = "default"
    values["posts_per_page"] = values["posts_per_page"] or 10
    values["title"] = values["title"] or business_name or ""
    if values["locale"] is None:
        values["locale"] = locale_for_language(values["language"])
    elif not _written(record.data.get("language")):
        values["language"] = values["locale"].replace("_", "-")
    return SiteConfig(
        **values,
        base_url=(base_url or "https://example.invalid").rstrip("/") + "/",
        output_dir_line=f.line("output_dir"),
        source=_source(record, problems),
    )


def _no_such_folder(path: Path) -> bool:
    """Whether `path` is surely not a folder. One that cannot even be looked
    at is not called missing: that is reported with the theme's folders
    (render/theme.py), as what to fix."""
    try:
        return not stat.S_ISDIR(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False


def _written(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _choose_base_url(f: Fields, deploy_url: BaseUrlChoice, problems: Problems) -> str | None:
    """--base-url or a preview's address beat site.yaml; production's URL
    fills in only when site.yaml has none (see deploy.py)."""
    given = deploy_url.override
    if given is None and not f.text("base_url") and deploy_url.fallback:
        given = deploy_url.fallback
    if given is None:
        written = f.text("base_url", required=True)
        problem = base_url_problem(written) if written is not None else None
        if problem:
            f.error("base_url", f"'base_url' {problem}, got '{written}'")
            return None
        return written
    problem = base_url_problem(given)
    if problem:
        problems.error(deploy_url.origin, 0, f"base URL {problem}, got '{given}'")
        return None
    return given


def build_business(record: Record, problems: Problems) -> Business:
    values, _ = read_entry(Business, _fields(record, problems, Business))
    values["name"] = values["name"] or ""
    return Business(**values, source=_source(record, problems))


def build_partner(
    record: Record, problems: Problems, refs: dict[str, list[tuple[str, int]]],
    sells_refs: dict[str, list[tuple[str, int]]] | None = None,
) -> Partner | None:
    slug = _file_slug(record, problems)
    f = _fields(record, problems, Partner)
    values, complete = read_entry(Partner, f)
    since, until = values["since"], values["until"]
    if since is not None and until is not None and until < since:
        f.error("until", f"'until' ({until}) is before 'since' ({since})")
    if slug is None or not complete:
        return None
    refs[slug] = f.references["provides"]
    if sells_refs is not None:
        sells_refs[slug] = f.references["sells"]
    return Partner(**values, slug=slug, source=_source(record, problems))


def build_capability(record: Record, problems: Problems) -> Capability | None:
    slug = _file_slug(record, problems)
    values, complete = read_entry(Capability, _fields(record, problems, Capability))
    if slug is None or not complete:
        return None
    return Capability(**values, slug=slug, body=record.body, source=_source(record, problems))


def build_product(
    record: Record, problems: Problems, refs: dict[str, list[tuple[str, int]]], config: SiteConfig,
) -> Product | None:
    slug = _file_slug(record, problems)
    f = _fields(record, problems, Product)
    values, complete = read_entry(Product, f)
    _check_selling(f, values, config)
    written = f.data.get("buy_url")
    if values["order"] == "buy" and values["buy_url"] is None and (
        written is None or (isinstance(written, str) and not written.strip())
    ):
        # (A buy_url that is there but wrong has its own error.)
        f.error("order", "'order: buy' needs a 'buy_url': the payment or checkout link the Buy button opens")
        return None
    if slug is None or not complete:
        return None
    refs[slug] = f.references["requires"]
    start, end = values.get("available_from"), values.get("available_until")
    if mixed_forms(start, end):
        f.error(
            "available_until",
            "'available_from' and 'available_until' must both be days of the year (10-01) or both be "
            "dates (2027-10-01)",
        )
        return None
    if start is not None and end is not None and start.year is not None and str(end) < str(start):
        f.error("available_until", f"'available_until' ({end}) is before 'available_from' ({start})")
        return None
    return Product(**values, slug=slug, body=record.body, source=_source(record, problems))


def _check_selling(f: Fields, values: dict[str, object], config: SiteConfig) -> None:
    """Warnings for a product whose price or order cannot be shown as
    written; fills in the site's currency."""
    values["currency"] = values["currency"] or config.currency
    if values["price"] is not None and values["currency"] is None:
        f.problems.warning(
            f.path, f.line("price"),
            "'price' has no currency, so it shows as a plain number and search engines get no offer: "
            "add 'currency: GBP' (your currency's code) here, or to site.yaml for every product",
        )
    written = f.data.get("price")
    if values["price_from"] and values["price"] is None and (
        written is None or (isinstance(written, str) and not written.strip())
    ):
        f.problems.warning(f.path, f.line("price_from"), "'price_from' has no 'price' to start from: add one")
    if values["order"] == "quote" and config.forms == "none":
        f.problems.warning(
            f.path, f.line("order"),
            "'order: quote' needs the site's forms, but site.yaml says 'forms: none': "
            "this product shows a button to contact you instead",
        )


def _check_contact_orders(
    products: tuple[Product, ...], pages: tuple[Page, ...], business: Business, config: SiteConfig,
    problems: Problems,
) -> None:
    """A product ordered by contacting the company needs a way to do it."""
    contact = business.contact
    if contact.email or contact.phone or any(p.slug == "contact" for p in pages):
        return
    for product in products:
        if product.order_mode(config.forms != "none") == "contact":
            problems.warning(
                product.source.path, product.source.line,
                f"product '{product.title}' is ordered by contacting you, but the site has no contact page "
                "(pages/contact.md), e-mail or phone: add one, or give it a 'buy_url'",
            )


def build_post(record: Record, problems: Problems) -> Post | None:
    slug = _file_slug(record, problems)
    values, complete = read_entry(Post, _fields(record, problems, Post))
    if slug is None or not complete:
        return None
    return Post(**values, slug=slug, body=record.body, source=_source(record, problems))


def build_page(record: Record, problems: Problems) -> Page | None:
    slug = _file_slug(record, problems)
    values, complete = read_entry(Page, _fields(record, problems, Page))
    if slug is None or not complete:
        return None
    return Page(**values, slug=slug, body=record.body, source=_source(record, problems))


def _unique_slugs(kind: str, items: tuple[T, ...], problems: Problems) -> tuple[T, ...]:
    """Items with the first of each slug; the others are reported."""
    first: dict[str, T] = {}
    for item in items:
        other = first.setdefault(item.slug, item)
        if other is not item:
            problems.error(
                item.source.path,
                1,
                f"{kind} slug '{item.slug}' is also used by {other.source.path}; "
                "rename one of the files",
            )
    return tuple(first.values())


class ModelMemo:
    """Posts and pages built from records that did not change, kept by a
    long-running process (incremental/memo.py). The record cache hands back
    the same Record object for an unchanged file, so identity says "same
    input"; a record's problems come back with what was built from it."""

    def __init__(self) -> None:
        self._memo = Memo(by_identity=True)

    def build(self, record: Record, problems: Problems, make: Callable[[Record, Problems], T | None]) -> T | None:
        def made_here() -> tuple[T | None, list[Problem]]:
            local = Problems(problems.root)
            return made(make, record, problems=local), local.items

        # Slot by identity: an entry holds its record, so its id is its own.
        item, found = self._memo.get(id(record), (record,), made_here)
        for problem in found:
            problems.add(problem)
        return item

    def finish(self) -> None:
        """Keep only what this build used, so deleted files are let go."""
        self._memo.finish()


def _direct(record: Record, problems: Problems, make: Callable[[Record, Problems], T | None]) -> T | None:
    return made(make, record, problems=problems)


@dataclass
class _References:
    """Where files name other files, slug -> [(file, line)], checked once
    every kind is built."""

    partners: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # capabilities partners provide
    sells: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # products resellers sell
    products: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # capabilities products require

    def check(
        self,
        records: Records,
        network: Network,
        partners: tuple[Partner, ...],
        capabilities: tuple[Capability, ...],
        products: tuple[Product, ...],
        problems: Problems,
    ) -> None:
        """Unknown capabilities and products as errors, except those whose
        own file is broken (already reported)."""
        broken = {slugify(r.slug) for r in records.capabilities} | {
            slugify(p.stem) for p in records.unreadable.get("capability", [])
        }
        broken -= {c.slug for c in capabilities}
        check_network(partners, capabilities, products, network, self.partners, self.products, problems, broken)
        unbuilt = {slugify(r.slug) for r in records.products} | {
            slugify(p.stem) for p in records.unreadable.get("product", [])
        }
        check_sells(partners, products, self.sells, problems, unbuilt - {p.slug for p in products})


def build_model(
    records: Records,
    problems: Problems,
    on: date,
    deploy_url: BaseUrlChoice = BaseUrlChoice(),
    memo: ModelMemo | None = None,
) -> Site:
    """The site from every record that is valid; problems say what is not.

    The site is returned even when there are errors, so that later stages can
    report their own problems (URL clashes, a refused output folder) in the
    same run; callers must not publish it while `problems.has_errors()`.
    """
    business = (
        build_business(records.business, problems) if records.business else _placeholder_business()
    )
    config = (
        build_config(records.site, records.root, problems, business.name, deploy_url)
        if records.site
        else _placeholder_config(records.root, business.name)
    )
    refs = _References()
    partners = tuple(
        p for r in records.partners if (p := build_partner(r, problems, refs.partners, refs.sells))
    )
    capabilities = tuple(c for r in records.capabilities if (c := build_capability(r, problems)))
    products = tuple(
        pr for r in records.products if (pr := build_product(r, problems, refs.products, config))
    )
    build = memo.build if memo is not None else _direct
    posts = tuple(po for r in records.posts if (po := build(r, problems, build_post)))
    pages = tuple(pa for r in records.pages if (pa := build(r, problems, build_page)))
    if memo is not None:
        memo.finish()
    partners = _unique_slugs("partner", partners, problems)
    capabilities = _unique_slugs("capability", capabilities, problems)
    products = _unique_slugs("product", products, problems)
    posts = _unique_slugs("post", posts, problems)
    pages = _unique_slugs("page", pages, problems)
    network = derive_network(partners, capabilities, products, on)
    refs.check(records, network, partners, capabilities, products, problems)
    _check_contact_orders(products, pages, business, config, problems)
    return Site(
        root=records.root,
        config=config,
        business=business,
        partners=partners,
        capabilities=capabilities,
        products=products,
        posts=posts,
        pages=pages,
        static_files=tuple(records.static_files),
        network=network,
    )


def _placeholder_business() -> Business:
    """Stands in for a missing business.yaml (already reported)."""
    return Business(name="")


def _placeholder_config(root: Path, title: str) -> SiteConfig:
    """Stands in for a missing site.yaml (already reported)."""
    return SiteConfig(
        base_url="https://example.invalid/",
        title=title,
        language="en",
        theme="default",
        posts_per_page=10,
        output_dir="public",
        locale="en",
        output_dir_line=0,
        source=Source("content/site.yaml", 0),
    )
