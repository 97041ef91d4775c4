"""The schema is the one place a key lives: the README's tables, the public
view and the unknown-key warnings all follow it."""

from __future__ import annotations

import os
import re

from conftest import REPO
from sitegen.content import model
from sitegen.content.schema import key_names, keys_of, reference_table
from sitegen.view import objects as public
from sitegen.view.published import Published, declared

KINDS = {
    "`site.yaml`": model.SiteConfig,
    "`business.yaml`": model.Business,
    "`partners/<slug>.yaml`": model.Partner,
    "`capabilities/<slug>.md` (front matter; the body is Markdown)": model.Capability,
    "`products/<slug>.md` (front matter; the body is Markdown)": model.Product,
    "`posts/<slug>.md` (front matter; the body is Markdown)": model.Post,
    "`pages/<slug>.md` (front matter; the body is Markdown)": model.Page,
}
PUBLIC_CLASSES = {
    model.SiteConfig: public.PublicSite,
    model.Business: public.PublicBusiness,
    model.Partner: public.PublicPartner,
    model.Capability: public.PublicCapability,
    model.Product: public.PublicProduct,
    model.Post: public.PublicPost,
    model.Page: public.PublicPage,
}
BEGIN = (
    "<!-- The tables below are generated from the schema (sitegen/content/model.py); "
    "`SITEGEN_UPDATE_DOCS=1 python3 -m pytest tests/test_schema.py` rewrites them. -->"
)
END = "<!-- end of the generated tables -->"


def generated_tables() -> str:
    parts = [BEGIN]
    for title, kind in KINDS.items():
        parts += ["", title, "", "| key | | value | in templates | meaning |", "|---|---|---|---|---|", *reference_table(kind)]
    parts += ["", END]
    return "\n".join(parts)


def test_the_readme_reference_tables_are_the_schema() -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    expected = generated_tables()
    if os.environ.get("SITEGEN_UPDATE_DOCS") == "1":
        readme.write_text(text[:start] + expected + text[end:], encoding="utf-8")
        text = readme.read_text(encoding="utf-8")
        start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == expected, (
        "README.md's key tables differ from the schema: run "
        "SITEGEN_UPDATE_DOCS=1 python3 -m pytest tests/test_schema.py"
    )


def test_every_key_says_whether_it_is_public_and_has_documentation() -> None:
    for kind in [*KINDS.values(), model.Contact, model.SocialLink]:
        for spec in keys_of(kind):
            assert isinstance(spec.public, bool), (kind.__name__, spec.name)
            assert spec.doc.strip(), (kind.__name__, spec.name)
            assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.name), spec.name


def test_public_classes_compute_only_what_the_schema_allows() -> None:
    """A public class may recompute a public key (a post's summary, its
    tags as links) but never declares a private one: a private key has no
    way into a template."""
    for kind, public_class in PUBLIC_CLASSES.items():
        assert issubclass(public_class, Published)
        private = {k.name for k in keys_of(kind) if not k.public}
        assert not private & declared(public_class), (public_class.__name__, private & declared(public_class))


def test_public_objects_carry_exactly_the_public_keys(make_site) -> None:
    """Built through the real pipeline: each public object answers every
    public key of its kind and none of the private ones."""
    from sitegen.build import BuildOptions, render_site

    site = make_site({
        "content/partners/kiln.yaml": """
            name: Kiln Co
            disclosure: credited
            provides: [design]
            notes: secret remark
            until: 2030-01-01
            review_by: 2027-01-01
        """,
        "content/posts/2026-01-01-hello.md": "---\ntitle: Hello\ndate: 2026-01-01\ntags: [a]\n---\nHi.\n",
        "content/pages/about.md": "---\ntitle: About\nmenu: 5\n---\nUs.\n",
    })
    rendered = render_site(BuildOptions(source=site.root))
    view = rendered.public
    objects = {
        model.SiteConfig: view,
        model.Business: view.business,
        model.Partner: view.partners[0],
        model.Capability: view.capabilities[0],
        model.Product: view.products[0],
        model.Post: view.posts[0],
        model.Page: view.pages[0],
    }
    for kind, item in objects.items():
        for spec in keys_of(kind):
            if spec.public:
                getattr(item, spec.name)
            else:
                assert not hasattr(item, spec.name), (kind.__name__, spec.name)


def test_unknown_keys_are_every_name_outside_the_schema(make_site) -> None:
    site = make_site({
        "content/posts/2026-01-01-hello.md": "---\ntitle: Hello\ndate: 2026-01-01\npinned: true\n---\nHi.\n",
    })
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "content/posts/2026-01-01-hello.md:4: warning: unknown key 'pinned' is ignored" in result.stderr
    assert "pinned" not in key_names(model.Post)
