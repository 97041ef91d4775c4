"""The security headers every page is served with, computed from the site.

The build writes them to `/_headers` (the file Netlify and Cloudflare Pages
read) and the preview sends them, so a style, image or form the policy
would block shows while editing, not after deploying. The
Content-Security-Policy allows the site's own origin and, beyond it,
exactly what the site uses: the origins of images on other sites (a
product's `image`, a logo, an image in a Markdown text) in `img-src`, and
the form service's origin in `form-action` when `site.yaml: forms` is a URL.
"""

from __future__ import annotations

from typing import Iterable

from markupsafe import Markup

from ..content.fields import origin

Headers = tuple[tuple[str, Markup], ...]


OTHER_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("X-Frame-Options", "DENY"),
)


def content_security_policy(image_origins: Iterable[str], form_action: str | None) -> str:
    """The policy of a site whose pages show images from `image_origins`
    and whose forms post to `form_action` (a URL) or to the site itself."""
    images = " ".join(["'self'", "data:", *sorted(set(image_origins))])
    forms = " ".join(["'self'", *([form_action] if form_action else [])])
    return (
        f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; "
        f"font-src 'self'; form-action {forms}; base-uri 'self'; frame-ancestors 'none'; "
        "object-src 'none'"
    )


def security_headers(image_origins: Iterable[str], form_action_url: str | None) -> Headers:
    """Every header, in the order they are written. Each value is built from
    fixed text and checked origins (`origin`), so it is printed as it is."""
    form_origin = origin(form_action_url) if form_action_url else None
    policy = content_security_policy(image_origins, form_origin)
    return tuple((name, Markup(value)) for name, value in (("Content-Security-Policy", policy), *OTHER_HEADERS))


def parse_headers_file(text: str) -> dict[str, str]:
    """The headers a `_headers` file sends with every path (`/*`): what the
    preview sends with each page."""
    found: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = line.strip()
            continue
        if current == "/*" and ":" in line:
            name, _, value = line.strip().partition(":")
            found[name.strip()] = value.strip()
    return found
