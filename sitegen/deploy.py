"""Which base URL a build should use, from the command line and the host.

On Netlify, deploy previews and branch deploys are served from their own
address (`DEPLOY_PRIME_URL`), so canonical links, the feed and the sitemap of a
preview must point there, never at production. A production deploy
(`CONTEXT=production`) offers `URL`, used only when site.yaml has no
`base_url`. An explicit `--base-url` beats everything. This module only reads
the environment it is given; the pipeline never reads it by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

PREVIEW_CONTEXTS = ("deploy-preview", "branch-deploy")


@dataclass(frozen=True)
class BaseUrlChoice:
    """`override` replaces site.yaml's base_url; `fallback` fills in for a
    missing one. `origin` names where the chosen value came from, for messages."""

    override: str | None = None
    fallback: str | None = None
    origin: str = ""


def choose_base_url(cli_value: str | None, environ: Mapping[str, str]) -> BaseUrlChoice:
    if cli_value:
        return BaseUrlChoice(override=cli_value, origin="--base-url")
    context = environ.get("CONTEXT", "").strip()
    if context in PREVIEW_CONTEXTS:
        prime = environ.get("DEPLOY_PRIME_URL", "").strip()
        if prime:
            return BaseUrlChoice(override=prime, origin="DEPLOY_PRIME_URL")
    if context == "production":
        url = environ.get("URL", "").strip()
        if url:
            return BaseUrlChoice(fallback=url, origin="URL")
    return BaseUrlChoice()
