#!/usr/bin/env python3
"""Benchmark corpus generator: one logical blog, written for several site generators.

    python bench/corpus.py --posts 1000 --format sitegen --out /tmp/corpus-1000
    python bench/corpus.py --posts 5000 --format all --out /tmp/c5k

Standard library only. Deterministic: the same seed and post count always
give byte-identical files (one ``random.Random(seed)``, dates computed from
the post index, never the clock). As a module::

    from corpus import generate          # with bench/ on sys.path
    site = generate(Path("/tmp/c"), posts=30, fmt="sitegen")

The corpus is N posts of about 600 words (450-750) with headings, a bullet
list, inline markup, an internal link to another post, a fenced Python block
on every 5th post and a pipe table on every 7th, 1-4 tags from 60 (Zipf-like
popularity), one of 8 categories and one of 5 authors. The sitegen format adds
a small, valid alliance network (business, partners, capabilities, products,
pages); the other formats get an "About" page instead.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import random
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

FORMATS = ("sitegen", "hugo", "pelican", "mkdocs", "eleventy")
MARKER = ".bench-corpus"  # written at the top of every generated folder

BASE_URL = "https://bench.example/"
SITE_TITLE = "Millrace Bakehouse"
FIRST_DAY = date(2021, 1, 1)
LAST_DAY = date(2025, 12, 31)  # posts are spread over the 5 years before 2026-01-01
LINK = "@@LINK@@"  # placeholder for the internal link's URL, filled in per format


# ---------------------------------------------------------------------------
# Vocabulary. Nothing here may name a white-label partner of the network below.

TAGS = [
    "sourdough", "baking", "Local Farms", "delivery", "behind the scenes", "recipes",
    "flour", "customers", "markets", "rye", "pricing", "equipment", "cargo bikes",
    "seasonal", "spelt", "Bread Club", "wholesale", "events", "packaging", "waste",
    "energy", "staff", "apprentices", "R&D", "Open Day", "pastry", "croissants",
    "cafes", "suppliers", "milling", "heritage grains", "barley", "oats", "honey",
    "butter", "salt", "water", "starter", "ovens", "scheduling", "spreadsheets",
    "accounts", "tax", "planning", "winter", "summer", "spring", "autumn",
    "holidays", "Christmas", "Easter", "newsletter", "community", "schools",
    "workshops", "tasting notes", "mistakes", "experiments", "Zero Waste", "Slow Food",
]
CATEGORIES = [
    "News", "Recipes", "Behind the Scenes", "Suppliers", "Kitchen Notes",
    "Events", "Business", "Sustainability",
]
AUTHORS = ["Ada Whitlock", "Ben Okoro", "Carys Penhale", "Dev Malhotra", "Elin Soto"]

WORDS: dict[str, list[str]] = {
    "n": """loaf starter oven batch crust crumb recipe kitchen delivery order customer
        market supplier harvest field dough bench schedule route invoice season week
        morning shift tray rack label crate sample tasting menu newsletter workshop
        apprentice farmer baker courier neighbour cafe counter window ledger
        spreadsheet thermometer timer scale mixer levain sack price stall queue
        notebook basket knife""".split(),
    "ns": """loaves starters ovens batches crusts recipes orders customers markets
        suppliers harvests fields doughs benches schedules routes invoices seasons
        weeks mornings shifts trays racks labels crates samples tastings menus
        workshops apprentices farmers bakers couriers neighbours cafes counters
        ledgers timers scales mixers sacks prices stalls queues notebooks rolls
        buns grains seeds oats""".split(),
    "a": """slow careful small local seasonal honest crisp dark golden sour warm quiet
        busy early late steady simple patient rough generous fresh wholegrain
        stone-ground open tight long short cold humid dry reliable new old familiar
        strange modest ambitious tidy cluttered shared hired borrowed weekly
        dense airy chewy tangy mild bright heavy""".split(),
    "v": """tested changed baked shaped mixed delivered counted measured tasted
        adjusted rewrote noticed learned tried dropped kept moved checked ordered
        scaled halved doubled shortened lengthened borrowed shared planned sketched
        priced labelled weighed cooled""".split(),
    "b": """bake shape mix deliver measure taste adjust notice learn try keep move
        check order plan share write fix weigh cool label price count""".split(),
    "d": """slowly carefully quietly eventually honestly usually rarely often finally
        gently roughly barely happily clearly mostly""".split(),
    "p": [
        "the baker on the early shift", "our courier", "a regular customer",
        "the miller", "the farmer who grows our rye", "Priya", "Tom", "Marta",
        "the kitchen manager", "a new apprentice", "one of our cafe customers",
        "a neighbour", "the accountant", "our market helper",
    ],
    "t": [
        "last week", "on Tuesday morning", "in the spring", "before dawn",
        "after the market", "during the heatwave", "over the winter",
        "at the end of the month", "this season", "every Friday", "on a wet Saturday",
        "in the quiet weeks of January", "before the holidays", "most mornings",
    ],
    "l": [
        "at the shared kitchen", "on the market stall", "in the back of the van",
        "at the mill", "by the oven door", "on the cooling racks",
        "in the cafe on the corner", "at the farm gate", "on the bench",
        "in the walk-in", "at the school fair", "on the delivery round",
    ],
    "r": ["noticed", "learned", "found", "pointed out", "told us", "worked out", "suspected"],
    "c": """proof_time dough_temp batch_size oven_setpoint hydration route_id
        starter_age bake_log flour_lot order_cutoff""".split(),
    "h": [
        "What changed", "Why it matters", "The numbers", "What we tried first",
        "What customers noticed", "Next steps", "A note on sourcing",
        "Behind the counter", "The kitchen side", "What we would do differently",
        "How the week went", "Costs and prices", "Lessons from the market",
        "The delivery side", "Questions we still have", "Timing is everything",
    ],
}

_ADJECTIVES = WORDS["a"]

SENTENCES = [
    "{t}, {p} {v} the {a} {n} {l}.",
    "we {d} {v} how the {n} behaved when the {ns} were {a}.",
    "it turns out that a {a} {n} needs more attention than a {a} {n}.",
    "{p} {r} that the {ns} {l} were {a} and {a}.",
    "nobody expected the {n} to matter, but it {d} did.",
    "the lesson was simple: {b} the {n} before you {b} the {ns}.",
    "if you have ever tried to {b} a {n} {t}, you will know the feeling.",
    "our {ns} are {a}, our {ns} are {a}, and our {n} is never quite {a} enough.",
    "that meant fewer {ns} and more {a} {ns} {t}.",
    "we now {b} every {n} twice and {b} the {ns} once a week.",
    "{t} we {v} the {n}, and the difference was {a}.",
    "the {n} is the part customers never see, yet it shapes every {n} we sell.",
    "there is a {a} rhythm to the {n}: {b}, wait, {b}, and wait again.",
    "we asked {p} what they thought, and the answer was a {a} shrug.",
    "a {a} {n} and a {a} {n} will not fix a {a} {n}.",
    "most weeks we {b} around {num} {ns}, and {t} that number {d} grows.",
    "the numbers in the spreadsheet looked {a}, but the {n} told a different story.",
    "so we {v} the {n}, kept notes, and {v} the {ns} again.",
    "{p} {d} {v} the {ns}, which saved us a {a} hour.",
    "none of this is new; bakers have {v} {ns} like this for centuries.",
    "we keep a {a} record of every {n}, and {t} it paid for itself.",
    "about {num} of the {ns} went out {l}, which is more than we planned.",
    "the {a} {ns} sold first, as they {d} do.",
    "when the {n} is {a}, everything downstream is {a} too.",
    "we would rather {b} fewer {ns} well than {b} many {ns} badly.",
]
CODE_SENTENCE = "we track this as `{c}` in the bake log, next to the {n}."
LIST_ITEMS = [
    "{a} {ns} {l}",
    "{b} the {n} {t}",
    "a {a} {n} for {p}",
    "fewer {ns}, more {a} {ns}",
    "{num} {ns} {t}",
]
TITLES = [
    "{a} {ns} and what they taught us",
    "why we {b} the {n} {t}",
    "notes from the {n}",
    "a {a} week at the {n}",
    "the {a} {n} problem",
    "on {a} {ns}",
    "what the {n} taught us about {ns}",
    "{num} things we learned about {ns}",
    "in praise of the {a} {n}",
    "counting {ns} {t}",
    "how {p} changed our {ns}",
    "{a} {ns}, {a} {ns}",
]
SUMMARIES = [
    "how {a} {ns} and a {a} {n} changed the way we work {t}.",
    "{p} {v} the {n}; here is what happened next.",
    "a short note on {ns}, {ns} and one {a} {n}.",
]
LINK_SENTENCE = "We wrote about a related problem in [{title}]({link})."

TABLE_ROWS = [
    "Country sourdough", "Seeded rye", "Spelt tin", "Fruit loaf", "Baguette",
    "Honey oat", "Barley bloomer", "Cardamom bun",
]

CODE_BLOCKS = [
    '''def dough_weight(loaves, grams_each=%(g)d):
    """Total dough to mix for one bake, with a small allowance for loss."""
    return round(loaves * grams_each * 1.0%(loss)d)


for day, loaves in [("Tue", %(x)d), ("Fri", %(y)d)]:
    print(day, dough_weight(loaves))''',
    '''from datetime import timedelta

PROOF_HOURS = %(h)d


def ready_at(mixed_at):
    """When a batch mixed at `mixed_at` is ready to bake."""
    return mixed_at + timedelta(hours=PROOF_HOURS)''',
    '''def price_per_loaf(flour_cost, other_costs, loaves=%(x)d):
    margin = 0.%(m)d
    cost = (flour_cost + other_costs) / loaves
    return round(cost * (1 + margin), 2)


print(price_per_loaf(%(y)d.50, %(g)d))''',
    '''ROUTES = [
    ("north", %(x)d),
    ("centre", %(y)d),
    ("south", %(h)d),
]

for name, stops in sorted(ROUTES, key=lambda route: route[1]):
    print(f"{name}: {stops} stops")''',
]


# A template compiles to tokens (literal, words, article): `literal` is copied
# as is; otherwise a word is drawn from the list `words` (None for a number),
# preceded by "a " or "an " when `article` is set.
Token = tuple[str, "list[str] | None", bool]
_ARTICLE = re.compile(r"(?:^|(?<= ))[Aa] $")


def _compile(template: str) -> list[Token]:
    tokens: list[Token] = []
    parts = re.split(r"\{(\w+)\}", template)
    for i, part in enumerate(parts):
        if i % 2 == 0:
            if part:
                tokens.append((part, None, False))
            continue
        article = False
        if tokens and tokens[-1][1] is None and _ARTICLE.search(tokens[-1][0]):
            literal = tokens.pop()[0][:-2]
            if literal:
                tokens.append((literal, None, False))
            article = True
        tokens.append(("", None if part == "num" else WORDS[part], article))
    return tokens


_AN = {word for words in WORDS.values() for word in words
       if word[0] in "aeiou" or word.startswith(("honest", "hour"))}
_SENTENCES = [_compile(s) for s in SENTENCES]
_CODE_SENTENCE = _compile(CODE_SENTENCE)
_LIST_ITEMS = [_compile(s) for s in LIST_ITEMS]
_TITLES = [_compile(s) for s in TITLES]
_SUMMARIES = [_compile(s) for s in SUMMARIES]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# ---------------------------------------------------------------------------
# The logical corpus


@dataclass
class Post:
    index: int
    title: str
    slug: str
    moment: datetime  # UTC
    tags: list[str]
    category: str
    author: str
    summary: str | None
    body: str  # Markdown; the internal link's URL is LINK, its target is link_to
    link_to: int | None

    @property
    def day(self) -> str:
        return self.moment.strftime("%Y-%m-%d")


class Writer:
    """Prose from the vocabulary, driven by one Random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def fill(self, tokens: list[Token], mark: str = "") -> str:
        """One filled-in template, capitalised; `mark` ("**" or "*") wraps
        its first adjective."""
        rnd = self.random
        out = []
        for literal, words, article in tokens:
            if literal:
                out.append(literal)
                continue
            if words is None:
                word = str(3 + int(rnd() * 88))
            else:
                word = words[int(rnd() * len(words))]
            if article:
                out.append("an " if word in _AN else "a ")
            if mark and words is _ADJECTIVES:
                word = mark + word + mark
                mark = ""
            out.append(word)
        sentence = "".join(out)
        return sentence[0].upper() + sentence[1:]

    def sentence(self) -> str:
        r = self.random()
        mark = "**" if r < 0.06 else "*" if r < 0.12 else ""
        return self.fill(_SENTENCES[int(self.random() * len(_SENTENCES))], mark)

    def paragraph(self) -> tuple[str, int]:
        rnd = self.random
        sentences = [self.sentence() for _ in range(3 + int(rnd() * 4))]
        if rnd() < 0.08:
            sentences.insert(int(rnd() * (len(sentences) + 1)), self.fill(_CODE_SENTENCE))
        text = " ".join(sentences)
        return text, text.count(" ") + 1


def _tag_picker(rng: random.Random):
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(TAGS))))
    total = cumulative[-1]

    def pick() -> list[str]:
        count = rng.randint(1, 4)
        chosen: list[str] = []
        while len(chosen) < count:
            tag = TAGS[bisect.bisect(cumulative, rng.random() * total)]
            if tag not in chosen:
                chosen.append(tag)
        return chosen

    return pick


def _table(rng: random.Random) -> str:
    lines = ["| Loaf | Batch size | Proof (hours) |", "|---|---:|---:|"]
    for name in rng.sample(TABLE_ROWS, 4):
        lines.append(f"| {name} | {rng.randint(12, 80)} | {rng.randint(2, 18)}.{rng.choice('05')} |")
    return "\n".join(lines)


def _code(rng: random.Random) -> str:
    values = {
        "g": rng.randint(700, 1100), "loss": rng.randint(1, 5), "x": rng.randint(10, 60),
        "y": rng.randint(10, 60), "h": rng.randint(3, 18), "m": rng.randint(20, 60),
    }
    return "```python\n" + rng.choice(CODE_BLOCKS) % values + "\n```"


def build_corpus(posts: int, seed: int = 42) -> list[Post]:
    rng = random.Random(seed)
    writer = Writer(rng)
    pick_tags = _tag_picker(rng)
    span = (LAST_DAY - FIRST_DAY).days
    used: set[str] = set()
    next_part: dict[str, int] = {}
    titles: list[str] = []
    slugs: list[str] = []
    for i in range(posts):
        title = writer.fill(rng.choice(_TITLES))
        slug = slugify(title)
        if slug in used:  # a repeated title becomes "..., part N"
            part = next_part.get(slug, 2)
            while f"{slug}-part-{part}" in used:
                part += 1
            next_part[slug] = part + 1
            title, slug = f"{title}, part {part}", f"{slug}-part-{part}"
        used.add(slug)
        titles.append(title)
        slugs.append(slug)

    corpus = []
    for i in range(posts):
        day = FIRST_DAY + timedelta(days=(i * span) // max(posts - 1, 1))
        moment = datetime(day.year, day.month, day.day, 6 + (i * 7) % 12, (i * 13) % 60)
        link_to = None
        if posts > 1:
            link_to = rng.randrange(posts - 1)
            link_to += link_to >= i
        body = _body(i, writer, rng, link_to, titles)
        corpus.append(
            Post(
                index=i,
                title=titles[i],
                slug=slugs[i],
                moment=moment,
                tags=pick_tags(),
                category=rng.choice(CATEGORIES),
                author=rng.choice(AUTHORS),
                summary=writer.fill(rng.choice(_SUMMARIES)) if i % 2 == 0 else None,
                body=body,
                link_to=link_to,
            )
        )
    return corpus


def _body(i: int, writer: Writer, rng: random.Random, link_to: int | None, titles: list[str]) -> str:
    target = rng.randint(450, 750)
    headings = rng.sample(WORDS["h"], rng.randint(2, 4))
    sections = len(headings) + 1
    blocks: list[str] = []
    words = 0
    link_section = rng.randrange(len(headings) + 1)
    for section in range(sections):
        if section:
            blocks.append("## " + headings[section - 1])
        # Words written by the end of this section: its share of the target,
        # stopping when the next paragraph (about 60 words) would overshoot it.
        goal = target * (section + 1) // sections - 30
        first = True
        while first or words < goal:
            text, n = writer.paragraph()
            if first and section == link_section and link_to is not None:
                text += " " + LINK_SENTENCE.format(title=titles[link_to], link=LINK)
                n += 8
            blocks.append(text)
            words += n
            first = False
        if section == 1:
            items = [writer.fill(rng.choice(_LIST_ITEMS)) for _ in range(rng.randint(3, 5))]
            blocks.append("\n".join("- " + item for item in items))
            words += sum(item.count(" ") + 1 for item in items)
        if section == len(headings) and i % 5 == 0:
            blocks.append(writer.fill(rng.choice(_SENTENCES)))
            blocks.append(_code(rng))
        if section == 1 and i % 7 == 0:
            blocks.append("Here is how the week's bakes compared:")
            blocks.append(_table(rng))
    return "\n\n".join(blocks) + "\n"


# ---------------------------------------------------------------------------
# Output helpers


def q(text: str) -> str:
    """A double-quoted scalar, valid in YAML and TOML alike."""
    return json.dumps(text, ensure_ascii=False)


def qlist(items: list[str]) -> str:
    return "[" + ", ".join(q(item) for item in items) + "]"


class Out:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self._folders: set[str] = set()

    def write(self, relative: str, text: str) -> None:
        folder, _, _ = relative.rpartition("/")
        if folder not in self._folders:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        with open(os.path.join(self.root, relative), "wb") as f:
            f.write(text.encode("utf-8"))
        self.count += 1


ABOUT_TEXT = """Millrace Bakehouse is a small bakery that bakes slow-fermented bread from local
grain. We do not own a bakery building: we rent the quiet hours of a shared
kitchen, buy stone-ground flour from a nearby mill and send loaves out by cargo
bike three mornings a week.

## How we work

- We bake in small batches, so every loaf is tasted before it leaves.
- We buy grain from farms within about forty miles.
- We publish what we learn, mistakes included, on the blog.

## Who we are

Five people, two ovens that are not ours, and a great many notebooks.
"""


# ---------------------------------------------------------------------------
# sitegen


def write_sitegen(out: Out, corpus: list[Post]) -> None:
    out.write("content/site.yaml", f"""base_url: "{BASE_URL}"
title: {q(SITE_TITLE)}
language: en
posts_per_page: 10
""")
    out.write("content/business.yaml", f"""name: {q(SITE_TITLE)}
tagline: "Slow-fermented bread from local grain, baked in a shared kitchen."
summary: >-
  Millrace Bakehouse is a five-person bakery. We bake in a shared kitchen in
  the hours its owners are away, buy stone-ground flour from a mill down the
  valley and deliver by cargo bike three mornings a week.
core_competency: >-
  Developing long-fermented bread recipes from local and heritage grain and
  baking them in small, carefully tracked batches.
founded: "2020"
service_area: "The city and the villages within ten miles of it"
contact:
  email: "hello@bench.example"
  phone: "+44 20 7946 0958"
  address: "Unit 4, Mill Yard, Riverside Road"
social:
  - name: Mastodon
    url: "https://mastodon.example/@millrace"
  - name: Newsletter
    url: "https://newsletter.example/millrace"
""")
    partners = {
        "fenwick-street-kitchen": """name: "Fenwick Street Kitchen"
kind: space
provides: [small-batch-baking]
disclosure: credited
since: 2020-03-01
url: "https://fenwick-kitchen.example"
location: "Fenwick Street"
blurb: "A community kitchen with two deck ovens that we rent from Sunday night to Wednesday noon."
notes: "Key holder is the caretaker; rent reviewed every April."
""",
        "spoke-and-crate": """name: "Spoke & Crate"
kind: distributor
provides: [local-delivery]
disclosure: credited
since: 2020-09-01
url: "https://spokeandcrate.example"
location: "Canal Wharf"
blurb: "A cargo-bike delivery co-operative that carries our bread to homes and cafes."
""",
        "greyhound-vans": """name: "Greyhound Vans"
kind: distributor
provides: [local-delivery]
disclosure: credited
since: 2020-01-15
until: 2023-06-30
url: "https://greyhoundvans.example"
location: "Station Road"
blurb: "The van courier who delivered our first three years of bread."
notes: "Retired in June 2023; replaced by the cargo-bike co-operative."
""",
        "hollin-mill": """name: "Hollin Mill"
kind: supplier
provides: [stone-ground-flour]
disclosure: white-label
since: 2020-02-01
url: "https://hollinmill.example"
location: "Hollin Beck"
blurb: "A water-powered mill grinding local wheat, rye and spelt."
notes: "Prefers we do not name them while their own bakery is being planned."
""",
        "tanner-print-and-pack": """name: "Tanner Print & Pack"
kind: manufacturer
provides: [packaging-and-labelling]
disclosure: white-label
since: 2020-06-01
url: "https://tannerpack.example"
notes: "Prints our bags and labels; minimum order 2,000."
""",
        "marquee-and-more-hire": """name: "Marquee & More Hire"
kind: equipment
provides: [event-catering]
disclosure: white-label
since: 2020-04-01
notes: "Lends a mobile oven and trestles for events, booked two weeks ahead."
""",
    }
    for slug, text in partners.items():
        out.write(f"content/partners/{slug}.yaml", text)
    capabilities = {
        "recipe-development": ("Recipe development", "true", "New breads developed and tested in our own notebooks and ovens."),
        "small-batch-baking": ("Small-batch baking", "false", "Bread baked in batches of forty to eighty loaves in a shared kitchen."),
        "stone-ground-flour": ("Stone-ground flour", "false", "Flour milled slowly from local wheat, rye and spelt."),
        "packaging-and-labelling": ("Packaging and labelling", "true", "Paper bags and labels with every ingredient listed."),
        "local-delivery": ("Local delivery", "false", "Bread delivered by cargo bike before breakfast."),
        "event-catering": ("Event catering", "false", "A bread table with a mobile oven for fairs, weddings and open days."),
    }
    for slug, (title, in_house, summary) in capabilities.items():
        out.write(f"content/capabilities/{slug}.md", f"""---
title: {q(title)}
summary: {q(summary)}
in_house: {in_house}
lead_time: "Two days"
---
{summary} We plan this work a week ahead and review it every season.
""")
    products = {
        "country-sourdough": ("Country sourdough", "4.20", "true", ["recipe-development", "stone-ground-flour", "small-batch-baking"]),
        "bread-club-box": ("Bread Club weekly box", "12.00", "true", ["small-batch-baking", "packaging-and-labelling", "local-delivery"]),
        "cafe-wholesale": ("Wholesale for cafes", "3.10", "false", ["small-batch-baking", "local-delivery"]),
        "event-bread-table": ("Event bread table", "240.00", "false", ["event-catering", "small-batch-baking", "recipe-development"]),
    }
    for slug, (title, price, featured, requires) in products.items():
        out.write(f"content/products/{slug}.md", f"""---
title: {q(title)}
summary: "{title}, baked to order by Millrace Bakehouse."
price: "{price}"
currency: GBP
unit: "each"
featured: {featured}
requires: {qlist(requires)}
---
{title} is made from stone-ground flour and a long, cool fermentation. Order by
Monday for delivery later in the week; see [our capabilities](/capabilities/).
""")
    out.write("content/pages/about.md", f"""---
title: "About us"
menu: 5
summary: "Who we are and how a bakery without a bakery works."
---
{ABOUT_TEXT}
Read about [what we can do](/capabilities/), [who we work with](/network/)
and [what we sell](/products/).
""")
    out.write("content/pages/contact.md", """---
title: "Contact"
menu: 50
---
Email hello@bench.example or call +44 20 7946 0958. We answer within a day.
""")
    out.write("content/pages/privacy.md", """---
title: "Privacy"
---
We keep your name, address and order history only to deliver your bread. We
use no tracking and share nothing with anyone else.
""")
    for post in corpus:
        lines = ["---", f"title: {q(post.title)}", f"date: {post.moment:%Y-%m-%d %H:%M}",
                 f"tags: {qlist(post.tags)}", f"categories: {qlist([post.category])}"]
        if post.summary:
            lines.append(f"summary: {q(post.summary)}")
        lines += [f"author: {q(post.author)}", "---", ""]
        body = _link(post, corpus, lambda t: f"/blog/{t.slug}/")
        out.write(f"content/posts/{post.day}-{post.slug}.md", "\n".join(lines) + body)


def _link(post: Post, corpus: list[Post], url) -> str:
    if post.link_to is None:
        return post.body
    return post.body.replace(LINK, url(corpus[post.link_to]), 1)


# ---------------------------------------------------------------------------
# Hugo

HUGO_BASEOF = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} · {{ site.Title }}{{ end }}</title>
<link rel="canonical" href="{{ .Permalink }}">
<link rel="alternate" type="application/rss+xml" href="{{ "feed.xml" | absURL }}" title="{{ site.Title }}">
</head>
<body>
<header>
<a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav><ul>
<li><a href="{{ "/blog/" | relURL }}">Blog</a></li>
<li><a href="{{ "/tags/" | relURL }}">Tags</a></li>
<li><a href="{{ "/categories/" | relURL }}">Categories</a></li>
<li><a href="{{ "/about/" | relURL }}">About</a></li>
</ul></nav>
</header>
<main>
{{ block "main" . }}{{ end }}
</main>
<footer><p>© {{ site.Title }}</p></footer>
</body>
</html>
"""

HUGO_SUMMARY = """<article>
<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time></p>
<p>{{ .Summary | plainify | truncate 280 }}</p>
</article>
"""

HUGO_PAGER = """<nav class="pager">
{{ with .Prev }}<a href="{{ .URL }}">Newer posts</a>{{ end }}
{{ with .Next }}<a href="{{ .URL }}">Older posts</a>{{ end }}
</nav>
"""

HUGO_SINGLE = """{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
{{ if eq .Section "posts" }}<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>{{ with .Params.author }} · {{ . }}{{ end }}</p>{{ end }}
{{ .Content }}
{{ with .GetTerms "tags" }}<p>Tags: {{ range . }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>{{ end }}
{{ with .GetTerms "categories" }}<p>Category: {{ range . }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>{{ end }}
</article>
{{ end }}
"""

HUGO_LIST = """{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ $pager := .Paginate .Pages }}
{{ range $pager.Pages }}""" + HUGO_SUMMARY + """{{ end }}
{{ with $pager }}""" + HUGO_PAGER + """{{ end }}
{{ end }}
"""

HUGO_INDEX = """{{ define "main" }}
<h1>{{ site.Title }}</h1>
<p>Slow-fermented bread from local grain, baked in a shared kitchen.</p>
<h2>Latest posts</h2>
{{ range first 5 (where site.RegularPages "Section" "posts") }}""" + HUGO_SUMMARY.replace("h2", "h3") + """{{ end }}
{{ end }}
"""

HUGO_TERMS = """{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a> ({{ .Count }})</li>
{{ end }}</ul>
{{ end }}
"""


def write_hugo(out: Out, corpus: list[Post]) -> None:
    out.write("hugo.toml", f"""baseURL = "{BASE_URL}"
title = {q(SITE_TITLE)}
enableRobotsTXT = true
disableKinds = []

[taxonomies]
  tag = "tags"
  category = "categories"

[pagination]
  pagerSize = 10

[permalinks.page]
  posts = "/blog/:slug/"

[permalinks.section]
  posts = "/blog/"

# One Atom-like feed for the whole site, as sitegen writes: RSS on the home page only.
[outputs]
  home = ["html", "rss"]
  section = ["html"]
  taxonomy = ["html"]
  term = ["html"]

[outputFormats.rss]
  baseName = "feed"
""")
    out.write("layouts/_default/baseof.html", HUGO_BASEOF)
    out.write("layouts/_default/single.html", HUGO_SINGLE)
    out.write("layouts/_default/list.html", HUGO_LIST)
    out.write("layouts/_default/taxonomy.html", HUGO_LIST)
    out.write("layouts/_default/terms.html", HUGO_TERMS)
    out.write("layouts/index.html", HUGO_INDEX)
    out.write("content/about.md", f'---\ntitle: "About us"\n---\n{ABOUT_TEXT}')
    out.write("content/posts/_index.md", '---\ntitle: "Blog"\n---\n')
    for post in corpus:
        lines = ["---", f"title: {q(post.title)}", f"slug: {q(post.slug)}",
                 f"date: {post.moment:%Y-%m-%dT%H:%M:%SZ}",
                 f"tags: {qlist(post.tags)}", f"categories: {qlist([post.category])}"]
        if post.summary:
            lines.append(f"summary: {q(post.summary)}")
        lines += [f"author: {q(post.author)}", "---", ""]
        body = _link(post, corpus, lambda t: '{{< relref "posts/%s.md" >}}' % t.slug)
        out.write(f"content/posts/{post.slug}.md", "\n".join(lines) + body)


# ---------------------------------------------------------------------------
# Pelican


def write_pelican(out: Out, corpus: list[Post]) -> None:
    out.write("pelicanconf.py", f"""# Pelican settings for the sitegen benchmark corpus (generated by bench/corpus.py).
AUTHOR = "Millrace Bakehouse"
SITENAME = {q(SITE_TITLE)}
SITEURL = "{BASE_URL.rstrip('/')}"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
RELATIVE_URLS = False
# THEME: Pelican's default theme (notmyidea).

ARTICLE_URL = "blog/{{slug}}/"
ARTICLE_SAVE_AS = "blog/{{slug}}/index.html"
PAGE_URL = "{{slug}}/"
PAGE_SAVE_AS = "{{slug}}/index.html"

FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feed.xml"
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None

CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
""")
    out.write("content/pages/about.md", f"Title: About us\nSlug: about\n\n{ABOUT_TEXT}")
    for post in corpus:
        lines = [f"Title: {post.title}", f"Date: {post.moment:%Y-%m-%d %H:%M}",
                 f"Tags: {', '.join(post.tags)}", f"Category: {post.category}"]
        if post.summary:
            lines.append(f"Summary: {post.summary}")
        lines += [f"Author: {post.author}", f"Slug: {post.slug}", ""]
        body = _link(post, corpus, lambda t: "{filename}/%s.md" % t.slug)
        out.write(f"content/{post.slug}.md", "\n".join(lines) + "\n" + body)


# ---------------------------------------------------------------------------
# MkDocs


def write_mkdocs(out: Out, corpus: list[Post]) -> None:
    # A short nav: MkDocs' automatic nav would list every post on every page,
    # which makes output size grow with the square of the post count.
    out.write("mkdocs.yml", f"""site_name: {q(SITE_TITLE)}
site_url: "{BASE_URL}"
use_directory_urls: true
theme:
  name: mkdocs
nav:
  - Home: index.md
  - Blog: blog/index.md
  - About: about.md
validation:
  nav:
    omitted_files: ignore  # posts are reached from blog/index.md, not the nav
""")
    newest = sorted(corpus, key=lambda p: p.moment, reverse=True)
    latest = "\n".join(f"- [{p.title}](blog/{p.slug}.md) ({p.day})" for p in newest[:5])
    out.write("docs/index.md", f"# {SITE_TITLE}\n\nSlow-fermented bread from local grain, "
              f"baked in a shared kitchen.\n\n## Latest posts\n\n{latest}\n\n"
              f"All posts are on [the blog](blog/index.md).\n")
    out.write("docs/about.md", f"# About us\n\n{ABOUT_TEXT}")
    listing = "\n".join(f"- [{p.title}]({p.slug}.md) ({p.day})" for p in newest)
    out.write("docs/blog/index.md", f"# Blog\n\n{listing}\n")
    for post in corpus:
        meta = f"*{post.moment:%d %B %Y}* · {post.author} · {post.category}"
        header = f"# {post.title}\n\n{meta}\n\nTags: {', '.join(post.tags)}\n\n"
        if post.summary:
            header += f"> {post.summary}\n\n"
        out.write(f"docs/blog/{post.slug}.md", header + _link(post, corpus, lambda t: f"{t.slug}.md"))


# ---------------------------------------------------------------------------
# Eleventy

ELEVENTY_PACKAGE = """{
  "name": "sitegen-bench-eleventy",
  "version": "1.0.0",
  "private": true,
  "type": "module",
  "scripts": {
    "build": "eleventy"
  },
  "devDependencies": {
    "@11ty/eleventy": "3.1.2"
  }
}
"""

ELEVENTY_CONFIG = """// Eleventy settings for the sitegen benchmark corpus (generated by bench/corpus.py).
export default function (eleventyConfig) {
  // One page per tag: every tag except the "post" collection tag.
  eleventyConfig.addCollection("tagList", (collectionApi) => {
    const tags = new Set();
    for (const item of collectionApi.getAll()) {
      for (const tag of item.data.tags || []) {
        if (tag !== "post") tags.add(tag);
      }
    }
    return [...tags].sort((a, b) => a.localeCompare(b));
  });
  eleventyConfig.addFilter("isoDate", (value) => new Date(value).toISOString());
  eleventyConfig.addFilter("readableDate", (value) =>
    new Date(value).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }));
  eleventyConfig.addFilter("withoutPost", (tags) => (tags || []).filter((tag) => tag !== "post"));
  eleventyConfig.addGlobalData("site", { title: %(title)s, url: "%(url)s" });
}

export const config = {
  dir: { input: ".", includes: "_includes", output: "_site" },
  templateFormats: ["md", "njk"],
};
"""

ELEVENTY_BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% if title %}{{ title }} · {% endif %}{{ site.title }}</title>
<link rel="canonical" href="{{ site.url }}{{ page.url | replace('/', '', 1) }}">
</head>
<body>
<header>
<a href="/">{{ site.title }}</a>
<nav><ul>
<li><a href="/blog/">Blog</a></li>
<li><a href="/tags/">Tags</a></li>
<li><a href="/about/">About</a></li>
</ul></nav>
</header>
<main>
{% if tags and ("post" in tags) %}
<article>
<h1>{{ title }}</h1>
<p><time datetime="{{ page.date | isoDate }}">{{ page.date | readableDate }}</time>{% if author %} · {{ author }}{% endif %}</p>
{{ content | safe }}
<p>Tags: {% for tag in tags | withoutPost %}<a href="/tags/{{ tag | slugify }}/">{{ tag }}</a> {% endfor %}</p>
<p>Category: {% for category in categories %}{{ category }} {% endfor %}</p>
</article>
{% else %}
{% if title %}<h1>{{ title }}</h1>{% endif %}
{{ content | safe }}
{% endif %}
</main>
<footer><p>© {{ site.title }}</p></footer>
</body>
</html>
"""

ELEVENTY_SUMMARY = """<article>
<h2><a href="{{ post.url }}">{{ post.data.title }}</a></h2>
<p><time datetime="{{ post.date | isoDate }}">{{ post.date | readableDate }}</time></p>
{% if post.data.summary %}<p>{{ post.data.summary }}</p>{% endif %}
</article>
"""

ELEVENTY_BLOG = """---
title: Blog
layout: base.njk
pagination:
  data: collections.post
  size: 10
  reverse: true
  alias: posts
permalink: "/blog/{% if pagination.pageNumber > 0 %}page/{{ pagination.pageNumber + 1 }}/{% endif %}"
---
{% for post in posts %}""" + ELEVENTY_SUMMARY + """{% endfor %}
<nav class="pager">
{% if pagination.href.previous %}<a href="{{ pagination.href.previous }}">Newer posts</a>{% endif %}
{% if pagination.href.next %}<a href="{{ pagination.href.next }}">Older posts</a>{% endif %}
</nav>
"""

ELEVENTY_TAGS = """---
layout: base.njk
pagination:
  data: collections.tagList
  size: 1
  alias: tag
eleventyComputed:
  title: "Tagged “{{ tag }}”"
permalink: "/tags/{{ tag | slugify }}/"
---
{% for post in collections[tag] | reverse %}""" + ELEVENTY_SUMMARY + """{% endfor %}
"""

ELEVENTY_TAG_INDEX = """---
title: Tags
layout: base.njk
permalink: /tags/
---
<ul>
{% for tag in collections.tagList %}<li><a href="/tags/{{ tag | slugify }}/">{{ tag }}</a> ({{ collections[tag].length }})</li>
{% endfor %}</ul>
"""

ELEVENTY_INDEX = """---
layout: base.njk
permalink: /
---
<h1>{{ site.title }}</h1>
<p>Slow-fermented bread from local grain, baked in a shared kitchen.</p>
<h2>Latest posts</h2>
{% for post in collections.post | reverse %}{% if loop.index0 < 5 %}""" + ELEVENTY_SUMMARY + """{% endif %}{% endfor %}
"""

ELEVENTY_FEED = """---
permalink: /feed.xml
eleventyExcludeFromCollections: true
---
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>{{ site.title }}</title>
<link href="{{ site.url }}feed.xml" rel="self"/>
<link href="{{ site.url }}"/>
<id>{{ site.url }}</id>
{% set newest = collections.post | reverse %}
{% if newest.length %}<updated>{{ newest[0].date | isoDate }}</updated>{% endif %}
{% for post in newest %}{% if loop.index0 < 20 %}
<entry>
<title>{{ post.data.title }}</title>
<link href="{{ site.url }}{{ post.url | replace('/', '', 1) }}"/>
<id>{{ site.url }}{{ post.url | replace('/', '', 1) }}</id>
<updated>{{ post.date | isoDate }}</updated>
<content type="html">{{ post.content }}</content>
</entry>
{% endif %}{% endfor %}
</feed>
"""

ELEVENTY_SITEMAP = """---
permalink: /sitemap.xml
eleventyExcludeFromCollections: true
---
<?xml version="1.0" encoding="utf-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{% for item in collections.all %}<url><loc>{{ site.url }}{{ item.url | replace('/', '', 1) }}</loc></url>
{% endfor %}</urlset>
"""


def write_eleventy(out: Out, corpus: list[Post]) -> None:
    out.write("package.json", ELEVENTY_PACKAGE)
    out.write("eleventy.config.js", ELEVENTY_CONFIG % {"title": q(SITE_TITLE), "url": BASE_URL})
    out.write("_includes/base.njk", ELEVENTY_BASE)
    out.write("index.njk", ELEVENTY_INDEX)
    out.write("blog.njk", ELEVENTY_BLOG)
    out.write("tags.njk", ELEVENTY_TAGS)
    out.write("tags-index.njk", ELEVENTY_TAG_INDEX)
    out.write("feed.njk", ELEVENTY_FEED)
    out.write("sitemap.njk", ELEVENTY_SITEMAP)
    out.write("about.md", f'---\ntitle: "About us"\nlayout: base.njk\npermalink: /about/\n---\n{ABOUT_TEXT}')
    out.write("posts/posts.json", '{\n  "layout": "base.njk",\n  "permalink": "/blog/{{ page.fileSlug }}/"\n}\n')
    for post in corpus:
        lines = ["---", f"title: {q(post.title)}", f"date: {post.moment:%Y-%m-%dT%H:%M:%SZ}",
                 f"tags: {qlist(['post'] + post.tags)}", f"categories: {qlist([post.category])}"]
        if post.summary:
            lines.append(f"summary: {q(post.summary)}")
        lines += [f"author: {q(post.author)}", "---", ""]
        body = _link(post, corpus, lambda t: f"/blog/{t.slug}/")
        out.write(f"posts/{post.slug}.md", "\n".join(lines) + body)


WRITERS = {
    "sitegen": write_sitegen,
    "hugo": write_hugo,
    "pelican": write_pelican,
    "mkdocs": write_mkdocs,
    "eleventy": write_eleventy,
}


# ---------------------------------------------------------------------------
# Entry points


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty (use --force to write into it)")
        if (out / MARKER).is_file():
            # Ours: start afresh so files of a bigger earlier corpus do not linger.
            for child in sorted(out.iterdir()):
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _generate(out: Path, posts: int, fmt: str, seed: int, force: bool) -> tuple[Path, int]:
    if fmt != "all" and fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)} or all")
    if posts < 0:
        raise ValueError("posts must be 0 or more")
    out = Path(out)
    _prepare(out, force)
    corpus = build_corpus(posts, seed)
    total = 0
    formats = FORMATS if fmt == "all" else (fmt,)
    for name in formats:
        root = out / name if fmt == "all" else out
        writer = Out(root)
        writer.write(MARKER, f"sitegen benchmark corpus: format={name} posts={posts} seed={seed}\n")
        WRITERS[name](writer, corpus)
        total += writer.count
    if fmt == "all":
        (out / MARKER).write_bytes(f"sitegen benchmark corpus: format=all posts={posts} seed={seed}\n".encode())
        total += 1
    return out, total


def generate(out: Path, posts: int, fmt: str, seed: int = 42, force: bool = False) -> Path:
    """Write the corpus in format `fmt` (or every format, each in `out/<format>/`
    for "all") into `out`, which must be empty or missing unless `force`.
    Returns the site folder (`out`)."""
    return _generate(out, posts, fmt, seed, force)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sitegen benchmark corpus.")
    parser.add_argument("--posts", type=int, default=1000, metavar="N", help="number of posts (default 1000)")
    parser.add_argument("--format", choices=FORMATS + ("all",), default="sitegen",
                        help="which generator's format; 'all' writes each into OUT/<format>/")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    parser.add_argument("--seed", type=int, default=42, metavar="N", help="random seed (default 42)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty folder")
    args = parser.parse_args(argv)
    if args.posts < 0:
        parser.error("--posts must be 0 or more")
    try:
        out, files = _generate(args.out, args.posts, args.format, args.seed, args.force)
    except FileExistsError as error:
        print(f"corpus.py: {error}", file=sys.stderr)
        return 1
    posts = f"{args.posts} post" + ("" if args.posts == 1 else "s")
    print(f"wrote {posts} in {args.format} format (seed {args.seed}) to {out}: {files} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
