"""What a page and its site are called, and the site's name glued to a title.

Sites put their name into `<title>` (and often og:title): "Getting Started | Tidewater",
"Lighthouse - Wikipedia", a full-width bar in Japanese titles. A card shows the site name on its own, so
the title keeps only the page's part, and a site that declares its name nowhere else is still
named. The split is made only on evidence:

- confirmed: the affix (the segment after the last separator, or before the first) equals a
  name the page declares (og:site_name, JSON-LD, application-name…) or matches its host
  ("Tidewater" on docs.tidewater.example, "Widgetry Docs" on widgetry.example);
- guessed, for a page that names its site nowhere: a short, name-like last segment, unless
  the page's own `<h1>` repeats the whole title (then the separator is part of the title, as
  in "Review: Chapter 3 - Into the Woods").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

from proxy.scrape.text import fold

__all__ = [
    "Split",
    "guess_suffix",
    "host_labels",
    "name_page",
    "names_host",
    "split_site",
    "usable_name",
]

# After clean_text, so spacing is single. Hyphens and dashes count only with spaces around
# them ("Zero-downtime" is a word); the full-width bar is used without spaces in CJK titles.
_SEPARATORS = (
    " | ",
    " \u00b7 ",
    " \u2014 ",
    " \u2013 ",
    " - ",
    " :: ",
    " \u00bb ",
    " \u2022 ",
    "\uff5c",
)
_MAX_WORDS = 4
_MAX_CHARS = 40
# Host labels that name a part of a site, not the site.
_GENERIC_LABELS = frozenset({
    "www", "m", "en", "docs", "doc", "app", "apps", "blog", "shop", "store", "forum", "news",
    "static", "api", "beta", "web", "home", "help", "support", "wiki",
})  # fmt: skip
_MAX_NAME = 80
# Page parts that name a site's front page in a few languages.
_HOME_WORDS = frozenset({
    "home", "homepage", "start", "welcome", "index", "main", "frontpage", "startseite",
    "accueil", "inicio", "início", "首页", "ホーム", "홈",
})  # fmt: skip


class Split(NamedTuple):
    """A title cut into the site's name and the page's own part."""

    site: str
    title: str


def host_labels(page_url: str) -> tuple[str, ...]:
    """The labels of the page's host that could be a site's name ("docs.tidewater.example"
    gives "tidewater"): not the top-level domain, nor generic parts like www or docs."""
    try:
        host = (urlsplit(page_url).hostname or "").lower()
    except ValueError:
        return ()
    labels = host.split(".")[:-1] if "." in host else [host]
    return tuple(fold(label) for label in labels if label not in _GENERIC_LABELS and label)


def names_host(text: str, labels: Iterable[str]) -> bool:
    """Whether `text` is the host's name: equal to a label once spaces and punctuation go, or
    built on one that makes up at least half of it ("Widgetry Docs" on widgetry.example)."""
    name = fold(text)
    if not name:
        return False
    return any(
        name == label or (len(label) >= 4 and label in name and 2 * len(label) >= len(name))
        for label in labels
    )


def usable_name(value: str | None) -> str | None:
    """A declared site name, unless it is a URL, a handle or far too long to be one."""
    if not value or len(value) > _MAX_NAME or "://" in value or value.startswith("@"):
        return None
    return value


def _short(text: str) -> bool:
    return len(text) <= _MAX_CHARS and len(text.split()) <= _MAX_WORDS and fold(text) != ""


def _find(title: str, last: bool) -> tuple[int, str] | None:
    found = [(title.rfind(s) if last else title.find(s), s) for s in _SEPARATORS]
    found = [(at, sep) for at, sep in found if at > 0 and at + len(sep) < len(title)]
    if not found:
        return None
    return max(found) if last else min(found)


def _without_sections(head: str, sep: str) -> str:
    # "Writing changelogs people read | Blog | Quillstack": once the site is cut off, one-word
    # segments with the same separator are sections ("Blog", "Help"), not the title.
    for _ in range(2):
        rest, cut, section = head.rpartition(sep)
        if not cut or len(section.split()) != 1 or len(section) > 15 or len(rest.split()) < 2:
            break
        head = rest
    return head


def _suffix(title: str) -> tuple[Split, str] | None:
    found = _find(title, last=True)
    if found is None:
        return None
    at, sep = found
    head, site = title[:at].strip(), title[at + len(sep) :].strip()
    return (Split(site, head), sep) if _short(site) and fold(head) else None


def _prefix(title: str) -> Split | None:
    found = _find(title, last=False)
    if found is None:
        return None
    at, sep = found
    site, tail = title[:at].strip(), title[at + len(sep) :].strip()
    return Split(site, tail) if _short(site) and fold(tail) else None


def split_site(title: str, names: Iterable[str], labels: Iterable[str]) -> Split | None:
    """The confirmed split of `title`: its last (else first) segment is one of `names` or the
    host's name. None when neither affix is the site."""
    known = {fold(name) for name in names} - {""}
    labels = tuple(labels)

    def is_site(affix: str) -> bool:
        return fold(affix) in known or names_host(affix, labels)

    if (suffix := _suffix(title)) is not None and is_site(suffix[0].site):
        split, sep = suffix
        return Split(split.site, _without_sections(split.title, sep))
    if (prefix := _prefix(title)) is not None and is_site(prefix.site):
        return prefix
    return None


def guess_suffix(title: str, heading: str | None) -> Split | None:
    """For a page that names its site nowhere: a short last segment taken as the site's name,
    unless the page's heading repeats the whole title."""
    if heading is not None and fold(heading) == fold(title):
        return None
    suffix = _suffix(title)
    if suffix is None:
        return None
    split, sep = suffix
    return Split(split.site, _without_sections(split.title, sep))


def name_page(
    titles: list[str],
    element: str | None,
    og_site: str | None,
    declared: list[str],
    heading: str | None,
    page_url: str,
) -> tuple[str | None, str | None]:
    """(card title, site name) from the page's title candidates (best first, placeholders
    already dropped), its `<title>` element, og:site_name, the other site names it declares
    and its first heading. None for the site name when the page gives none.

    The site name, first found: og:site_name; a title affix confirmed by the host (before the
    other declarations, which often name the company rather than the site: "Lighthouse -
    Wikipedia" published by the Wikimedia Foundation); JSON-LD, application-name,
    apple-mobile-web-app-title, `<meta name=publisher>` (in `declared`'s order); a guessed
    title suffix; the whole title when it is the host's name ("Orbit CRM" on orbitcrm.example).
    The bare host is the caller's fallback."""
    labels = host_labels(page_url)
    named = element or (titles[0] if titles else None)  # where sites write their name
    names = [n for n in map(usable_name, declared) if n]
    guessed: Split | None = None
    site = usable_name(og_site)
    if site is None and named and (confirmed := split_site(named, (), labels)):
        site = confirmed.site
    if site is None and names:
        site = names[0]
    if site is None and named and (guessed := guess_suffix(named, heading)):
        site = guessed.site
    if site is None and named and names_host(named, labels):
        site = named
    title = titles[0] if titles else None
    if title is not None:
        split = split_site(title, [*names, *(n for n in (site, og_site) if n)], labels)
        if split is None and guessed is not None and (again := guess_suffix(title, heading)):
            split = again if fold(again.site) == fold(guessed.site) else None
        if split is not None:
            # "Home | Yoga by Rina": the page's part only says which page of the site this
            # is, so the site's name is the better title.
            title = site if fold(split.title) in _HOME_WORDS and site else split.title
    return title, site
