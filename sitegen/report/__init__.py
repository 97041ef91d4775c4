"""`sitegen report`: the network health report, for the owner's eyes only.

A stage on top of the model, like the CLI: the pipeline never imports it and
it never writes a file. It works on the *model*, not the public view, so
white-label partners are named here; the report is printed in the terminal
and never published (the text output says so in its second line).

`build_report(site, on, days)` is pure and returns a `Report` of frozen
dataclasses; `format_text` and `format_json` render it. `report_site` loads a
site folder for the CLI.

What the report finds, on the report date `on` (today, or `--date`) and over
the window [on, on + days]:

* **capabilities**: every capability with its providers. In-house counts as
  one provider; each *active* partner that provides it is one more (with its
  disclosure, credited or white-label). Lead time as written.
* **single points of failure** (information; needs attention with
  `--strict`): a capability with exactly
  one provider in total, that provider being a partner, and required by at
  least one product deliverable on `on` (those products are listed). A
  capability that only the company itself provides (in-house, no partner) is
  not a point of failure *of the network* and is not reported.
* **ending** alliances: partners whose `until` falls within the window (a
  partner that starts and ends inside the window is included too). For each,
  the products it would make undeliverable, computed on the day after `until`
  with `derive_network`, so other partners ending or starting by then count:
  a product is attributed to the partner when it is deliverable that day with
  the partner kept and not deliverable without it (two partners ending on the
  same day for the same capability are both named). An ending that breaks a
  product needs attention; one that breaks nothing is informational.
* **starting** alliances (informational): partners whose `since` falls in
  (on, on + days], with the products they would make deliverable that day.
* **unused partners** (information; needs attention with `--strict`):
  partners active on `on` none of
  whose provided capabilities is required by any product and that sell no
  product (a partner that provides and sells nothing is unused too).
* **overdue reviews** (needs attention): `review_by` before `on`; **reviews
  due soon** (informational): `review_by` within the window. Partners whose
  alliance has already ended (`until` before `on`) are left out of both: their
  facts no longer reach the site.
* **unoffered capabilities** (information; needs attention with `--strict`;
  `sitegen check` warns about them too): not in-house and no active
  partner, with the products requiring them.
* **undeliverable products** (needs attention: a build withdraws them):
  products not deliverable on `on`, with the capabilities they miss (a slug
  without a valid capability file, unknown or with errors, is shown as "not
  a valid capability").
* **coming changes** (information): every dated change in (on, on + days]
  that changes what the site shows (content/changes.py): alliances starting
  or ending, seasons opening or closing, posts coming due.
* **errors**: content errors found while building the model for `on`
  (needs attention). The model keeps the valid part of the site, so
  the report still runs, but it may be incomplete: the CLI prints the errors
  first on standard error, as `path:line: message`, and exits 1.

Text output fits an 80-column terminal: a heading per section (with its
count), one entry per finding starting with the file to edit, wrapped with a
hanging indent without breaking paths or quoted names, an "All good" line for
an empty section, and a last `sitegen: ...` summary line. JSON output is one
object with the keys date, days, healthy, capabilities,
single_points_of_failure, ending, starting, unused_partners, overdue_reviews,
reviews_due_soon, unoffered_capabilities, undeliverable_products, coming_changes
(each {moment, what}), strict, errors, in
that order; dates are ISO, capabilities and products are {slug, title, path}
(path null for a capability slug without a valid file), partners {slug,
name, disclosure, path}. `--days` is 0 to MAX_DAYS; the window's end is
clamped to the last day of the calendar.

The site is healthy, and `sitegen report` exits 0, when nothing needs
attention; otherwise it exits 1.

The package, by job: `data.py` (the dataclasses, `build_report` with one
helper per section, `report_site`), `text.py` (`format_text`, one function
per section) and `as_json.py` (`report_json`, `format_json`).
"""

from .as_json import format_json, report_json
from .data import (
    MAX_DAYS,
    CapabilityHealth,
    Ending,
    ItemRef,
    PartnerRef,
    ProductGap,
    Report,
    Review,
    SinglePoint,
    Starting,
    Unoffered,
    Unused,
    build_report,
    report_site,
)
from .text import NOTICE, WIDTH, format_text

__all__ = [
    "MAX_DAYS",
    "NOTICE",
    "WIDTH",
    "CapabilityHealth",
    "Ending",
    "ItemRef",
    "PartnerRef",
    "ProductGap",
    "Report",
    "Review",
    "SinglePoint",
    "Starting",
    "Unoffered",
    "Unused",
    "build_report",
    "format_json",
    "format_text",
    "report_json",
    "report_site",
]
