"""The pages' HTML: one shell (header, navigation, footer) around each page's body, built
from the files in pages/ with `string.Template` (`$name`; every value inserted is escaped by
the caller, `esc`). Served compressed when the client accepts gzip, revalidated by ETag."""

from __future__ import annotations

import hashlib
from html import escape
from importlib import resources
from string import Template

from proxy.web.static import StaticFiles

__all__ = ["NAV", "esc", "fragment", "page"]

# (key, href, label as HTML: constants, never user input)
NAV = (
    ("gallery", "/", "Gallery"),
    ("playground", "/playground", "Playground"),
    ("editor", "/editor", "Editor"),
    ("console", "/console", "Console"),
    ("docs", "/schema", 'API<span class="wide-only"> docs</span>'),
)


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def fragment(name: str) -> Template:
    return Template(resources.files("proxy.web").joinpath("pages", name).read_text("utf-8"))


_SHELL = fragment("shell.html")


def page(
    static: StaticFiles,
    *,
    active: str,
    title: str,
    description: str,
    body: str,
    scripts: tuple[str, ...] = (),
) -> tuple[bytes, str]:
    """The whole document and its ETag."""
    current = ' aria-current="page"'
    nav = "".join(
        f'<li><a href="{href}"{current if key == active else ""}>{label}</a></li>'
        for key, href, label in NAV
    )
    tags = "".join(f'<script src="{static.url_for(s)}" defer></script>' for s in scripts)
    html = _SHELL.substitute(
        title=esc(title),
        description=esc(description),
        favicon=static.url_for("favicon.svg"),
        css=static.url_for("app.css"),
        page=active,
        nav=nav,
        body=body,
        scripts=tags,
    ).encode()
    return html, '"' + hashlib.sha256(html).hexdigest()[:16] + '"'
