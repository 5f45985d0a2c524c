"""The gallery (`/`): every built-in template, in every palette, for one kind at a time, as
real sample cards rendered by this server (GET /api/v2/templates/{id}/sample.webp, cached),
with the fields each template uses. Plain HTML: the kind switch is a link, no script needed.
Every image sits in a box whose aspect ratio is the card's, so nothing moves as they load."""

from __future__ import annotations

from urllib.parse import urlencode

import renderer
from proxy.web.html import esc

__all__ = ["KIND_LABELS", "gallery_body"]

KIND_LABELS = {
    "og": "Open Graph",
    "twitter": "X / Twitter",
    "linkedin": "LinkedIn",
    "square": "Square",
}
# Templates whose images load at once: the first screen; the rest load as they scroll in.
_EAGER = 2


def _sample(template: renderer.Template, palette: str, kind: str, width: int) -> str:
    query = urlencode(
        {"palette": palette, "kind": kind, "width": width, "v": template.version[:12]}
    )
    return f"/api/v2/templates/{template.name}/sample.webp?{query}"


def _img(template: renderer.Template, palette: str, kind: str, width: int, eager: bool) -> str:
    w, h = renderer.KINDS[kind]
    loading = "eager" if eager else "lazy"
    return (
        f'<img src="{esc(_sample(template, palette, kind, width))}" width="{w}" height="{h}" '
        f'alt="{esc(template.title)} template, {esc(palette)} palette" loading="{loading}" '
        f'decoding="async">'
    )


def _playground(template: str, palette: str, kind: str) -> str:
    return "/playground?" + urlencode({"template": template, "palette": palette, "kind": kind})


def _template(template: renderer.Template, kind: str, eager: bool) -> str:
    w, h = renderer.KINDS[kind]
    palettes = renderer.available_palettes()
    fields = "".join(f"<li>{esc(f)}</li>" for f in template.fields)
    default = template.default_palette
    thumbs = "".join(
        f'<li><a href="{esc(_playground(template.name, p, kind))}" '
        f'aria-label="{esc(template.title)} in {esc(p)}: open in the playground">'
        f'<span class="frame" style="aspect-ratio:{w}/{h}">{_img(template, p, kind, 320, eager)}'
        f'</span><span class="cap">{esc(p)}</span></a></li>'
        for p in palettes
    )
    return f"""
<article class="tpl" id="t-{esc(template.name)}" data-template="{esc(template.name)}">
  <div class="tpl-head">
    <h2>{esc(template.title)}</h2>
    <p>{esc(template.description)}</p>
    <ul class="chips" aria-label="Fields it uses">{fields}</ul>
    <a class="btn" href="{esc(_playground(template.name, default, kind))}">Open in the playground</a>
  </div>
  <figure class="tpl-main">
    <span class="frame" style="aspect-ratio:{w}/{h}">{_img(template, default, kind, 640, eager)}</span>
    <figcaption><code>{esc(template.name)}</code> · {esc(default)} palette (its default) · {w}&times;{h}</figcaption>
  </figure>
  <ul class="thumbs kind-{esc(kind)}" aria-label="{esc(template.title)} in every palette">{thumbs}</ul>
</article>"""


def gallery_body(kind: str) -> str:
    names = renderer.available_templates()
    current = ' aria-current="true"'
    tabs = "".join(
        f'<a href="/?kind={k}"{current if k == kind else ""}>'
        f"{label} <small>{renderer.KINDS[k][0]}&times;{renderer.KINDS[k][1]}</small></a>"
        for k, label in KIND_LABELS.items()
    )
    index = "".join(
        f'<li><a href="#t-{esc(n)}">{esc(renderer.template_info(n).title)}</a></li>' for n in names
    )
    templates = "".join(
        _template(renderer.template_info(n), kind, i < _EAGER) for i, n in enumerate(names)
    )
    palettes = len(renderer.available_palettes())
    return f"""
<section class="hero">
  <h1>Social cards, rendered once, served fast.</h1>
  <p class="lede">Every card on this page is real: rendered by this server from a template, a
  palette and a few fields. {len(names)} templates &times; {palettes} palettes &times; 4 sizes. Pick one to
  try it with your own words.</p>
  <p class="actions"><a class="btn primary" href="/playground">Open the playground</a>
  <a class="btn" href="/editor">Write a template</a></p>
</section>
<div class="bar">
  <nav class="seg" aria-label="Card size">{tabs}</nav>
  <nav class="jump" aria-label="Templates"><ul>{index}</ul></nav>
</div>
<div class="gallery">{templates}
</div>"""
