"""The template editor pins a validator error to its key; a saved template and a rendered
card show in the console; /schema's docs load with nothing from another host."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from devkit.ogedge import OgEdgeServer
from tests.browser.conftest import load_every_image, render, screenshot

ROOT = Path(__file__).resolve().parents[2]
LINE = 20  # px: the editor's line height


def test_a_bad_toml_shows_the_error_at_its_key(page: Page, api_key: str) -> None:
    page.goto("/editor")
    page.locator("#e-base").select_option("blog")
    expect(page.locator("#e-valid")).to_have_text("Valid template.")
    source = (ROOT / "templates" / "blog.toml").read_text()
    bad = source.replace("size = 62", 'size = "big"')
    line = bad.splitlines().index('size = "big"') + 1
    page.locator("#toml").fill(bad)
    marker = page.locator("#e-marker")
    expect(marker).to_be_visible()
    expect(marker).to_have_attribute("data-line", str(line))
    expect(marker).to_have_attribute("data-path", "layers[title].size")
    expect(marker).to_contain_text("Expected `int`, got `str`")
    expect(page.locator("#e-error")).to_contain_text(f"Line {line}")
    expect(page.locator(f"#gutter div:nth-child({line})")).to_have_class("bad")
    # Next to the key: level with its line in the text area, to the right of the text.
    area = page.locator("#toml").bounding_box()
    box = marker.bounding_box()
    assert area and box
    scroll = page.locator("#toml").evaluate("a => a.scrollTop")
    line_top = area["y"] + 12 + (line - 1) * LINE - scroll
    assert line_top - LINE <= box["y"] <= line_top + LINE
    assert area["y"] <= line_top <= area["y"] + area["height"] - LINE  # the line is in view
    screenshot(page, "editor-error", full_page=False)
    # Fixed, it renders again; saved, it is the project's template.
    page.locator("#toml").fill(source.replace("size = 62", "size = 70"))
    expect(page.locator("#e-valid")).to_have_text("Valid template.")
    expect(marker).to_be_hidden()
    page.locator("#e-key").fill(api_key)
    page.locator("#e-name").fill("Big blog")
    page.locator("#e-save").click()
    expect(page.locator("#e-saved")).to_contain_text(re.compile(r"Saved as custom_[0-9a-f]{16}"))


def test_the_console_lists_a_card_just_rendered(
    page: Page, server: OgEdgeServer, api_key: str
) -> None:
    title = f"Console check {uuid.uuid4().hex[:6]}"
    card = render(server, api_key, template="release", title=title, palette="forest")
    page.goto("/console")
    expect(page.locator("#signin")).to_be_visible()
    page.locator("#c-key").fill(api_key)
    page.locator("#c-key").press("Enter")
    row = page.locator(f'#c-cards tr[data-slug="{card["slug"]}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(title)
    expect(row).to_contain_text("release")
    expect(page.locator("#c-cards tbody tr").first).to_have_attribute("data-slug", card["slug"])
    expect(page.locator("#c-project")).to_have_text("browser")
    expect(page.locator("#c-used")).not_to_have_text("\u2013")
    assert api_key not in page.url
    load_every_image(page, "#c-cards")
    screenshot(page, "console")
    page.locator("#c-forget").click()
    expect(page.locator("#signin")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('ogedge.apiKey')") is None


def test_the_api_docs_load_from_this_server(page: Page) -> None:
    page.goto("/schema")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ogedge")
    expect(
        page.locator(".swagger-ui .opblock-summary-path", has_text="/api/v2/preview").first
    ).to_be_visible()
    screenshot(page, "api-docs", full_page=False)
