"""The gallery: every built-in template as real cards; the first load's weight and layout
stability; the phone layout; keyboard entry."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

import renderer
from devkit.ogedge import OgEdgeServer
from tests.browser.conftest import DESKTOP, load_every_image, open_page, screenshot

BUDGET = 150 * 1024  # first load of /, previews aside
# Counts every layout shift not caused by input, from the very first paint (buffered).
_CLS = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


def test_the_gallery_shows_every_template_as_real_cards(page: Page) -> None:
    page.goto("/")
    names = renderer.available_templates()
    articles = page.locator("article.tpl")
    expect(articles).to_have_count(len(names))
    palettes = renderer.available_palettes()
    for name in names:
        article = page.locator(f'article[data-template="{name}"]')
        expect(article.locator(".thumbs img")).to_have_count(len(palettes))
        for field in renderer.template_info(name).fields:
            expect(article.locator(".chips li", has_text=field).first).to_be_visible()
    load_every_image(page, ".gallery")
    sizes = page.evaluate(
        "[...document.querySelectorAll('.tpl-main img')].map(i => i.naturalWidth)"
    )
    assert sizes == [640] * len(names)  # decoded sample cards, not placeholders
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "gallery")
    screenshot(page, "gallery-top", full_page=False)
    page.get_by_role("link", name="Square").click()
    expect(page).to_have_url("/?kind=square")
    load_every_image(page, 'article[data-template="quote"]')
    box = page.locator('article[data-template="quote"] .tpl-main img').bounding_box()
    assert box is not None and abs(box["width"] - box["height"]) <= 1


def test_first_load_is_light_and_nothing_moves_as_previews_load(
    browser: Browser, server: OgEdgeServer
) -> None:
    page, seen = open_page(browser, server, DESKTOP)
    page.add_init_script(_CLS)
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto("/", wait_until="load")
    load_every_image(page, ".gallery")
    page.evaluate("window.scrollTo(0, 0)")
    # Sizes as transferred: encoded bodies plus headers, every request but the sample cards.
    weight = 0
    previews = 0
    for request in responses:
        sizes = request.sizes()
        total = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        if "/sample.webp" in request.url:
            previews += total
        else:
            weight += total
    cls = page.evaluate("window.__cls")
    page.context.close()
    print(
        f"first load of /: {weight} bytes without previews, {previews} bytes of previews; CLS {cls}"
    )
    assert seen.foreign() == []
    assert weight < BUDGET, f"{weight} bytes"
    assert cls == 0


def test_the_gallery_fits_a_phone(phone: Page) -> None:
    phone.goto("/")
    load_every_image(phone, 'article[data-template="blog"]')
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "gallery-phone", full_page=False)


def test_the_keyboard_reaches_the_content_first(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    outline = page.evaluate(
        "() => { const a = document.querySelector('.nav a'); a.focus(); return getComputedStyle(a).outlineStyle; }"
    )
    assert outline != "none"  # a visible focus ring
