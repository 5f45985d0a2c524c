"""The playground: the live preview follows the typing, reports the layout, draws the card as
the networks do; the copy-ready meta tags describe the stored card; a share link restores the
state; the signed-URL box answers for itself."""

from __future__ import annotations

import html
import re
import subprocess
from urllib.request import urlopen

import pyvips
from playwright.sync_api import Page, expect

from devkit.ogedge import OgEdgeServer
from tests.browser.conftest import OGEDGE, load_every_image, screenshot

_META = re.compile(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">')


def wait_for_preview(page: Page, title: str) -> None:
    preview = page.locator("#preview")
    expect(preview).to_have_attribute("data-title", title)
    expect(preview).to_have_attribute("src", re.compile(r"^data:image/"))
    page.wait_for_function(
        "() => { const i = document.querySelector('#preview'); return i.complete && i.naturalWidth > 0; }"
    )


def test_typing_a_title_updates_the_preview(page: Page) -> None:
    page.goto("/playground")
    wait_for_preview(page, "Shipping faster social cards")
    first = page.locator("#preview").get_attribute("src")
    title = page.locator("#f-title")
    title.fill("")
    title.press_sequentially("Typed, not pasted")
    wait_for_preview(page, "Typed, not pasted")
    assert page.locator("#preview").get_attribute("src") != first
    expect(page.locator("#status")).to_contain_text("1200\u00d7630 PNG")
    row = page.locator('#diag tr[data-layer="title"]')
    expect(row).to_contain_text("px")
    expect(row).to_contain_text("Fits")
    # The networks' previews show the same card, title and host.
    expect(page.locator(".sp-fb .js-title")).to_have_text("Typed, not pasted")
    assert page.locator(".js-card").first.get_attribute("src") == page.locator(
        "#preview"
    ).get_attribute("src")
    # Too long a title: the report says so.
    title.fill("A headline that goes on " * 8)
    wait_for_preview(page, "A headline that goes on " * 8)
    expect(row).to_contain_text("Truncated")
    title.fill("Typed, not pasted")
    wait_for_preview(page, "Typed, not pasted")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "playground")
    screenshot(page, "playground-top", full_page=False)
    load_every_image(page, "#social")
    page.locator("#h-social").scroll_into_view_if_needed()
    screenshot(page, "social-previews", full_page=False)


def test_the_meta_block_matches_the_stored_card(
    page: Page, server: OgEdgeServer, api_key: str
) -> None:
    page.goto("/playground?template=hero&palette=ocean")
    wait_for_preview(page, "Shipping faster social cards")
    page.locator("#f-kind").select_option("square")
    page.locator("#f-title").fill("Meta that matches")
    wait_for_preview(page, "Meta that matches")
    page.locator("#p-key").fill(api_key)
    page.locator("#p-render").click()
    link = page.locator("#p-card-url")
    expect(link).to_be_visible()
    url = link.get_attribute("href")
    assert url and url.startswith(server.url + "/i/")
    expect(page.locator("#meta")).to_contain_text(url)
    meta = page.locator("#meta").text_content() or ""
    tags = {name: html.unescape(value) for name, value in _META.findall(meta)}
    assert tags["og:image"] == tags["twitter:image"] == url
    assert tags["og:title"] == tags["twitter:title"] == "Meta that matches"
    assert tags["og:image:alt"] == "Meta that matches, by Ada Lovelace"
    assert tags["twitter:card"] == "summary_large_image"
    card = page.request.get(url)
    assert card.ok and card.headers["content-type"] == tags["og:image:type"] == "image/png"
    image = pyvips.Image.new_from_buffer(card.body(), "")
    assert (str(image.width), str(image.height)) == (
        tags["og:image:width"],
        tags["og:image:height"],
    )
    assert (image.width, image.height) == (1080, 1080)
    # Copy puts exactly that block on the clipboard.
    page.locator('[data-copy="meta"]').click()
    assert page.evaluate("navigator.clipboard.readText()") == meta
    curl = page.locator("#curl").text_content() or ""
    assert f"{server.url}/api/v2/render" in curl and '"kind": "square"' in curl
    assert api_key not in curl and api_key not in page.url  # the key travels in headers only
    assert page.evaluate("sessionStorage.getItem('ogedge.apiKey')") == api_key


def test_2x_density_is_previewed_stored_and_described(page: Page, api_key: str) -> None:
    page.goto("/playground")
    wait_for_preview(page, "Shipping faster social cards")
    page.locator("#f-dpr").select_option("2")
    page.locator("#f-title").fill("Twice as sharp")
    wait_for_preview(page, "Twice as sharp")
    assert page.evaluate("document.querySelector('#preview').naturalWidth") == 2400
    assert "dpr=2" in page.locator("#share").input_value()
    page.locator("#p-key").fill(api_key)
    page.locator("#p-render").click()
    link = page.locator("#p-card-url")
    expect(link).to_be_visible()
    expect(page.locator("#meta")).to_contain_text(link.get_attribute("href") or "-")
    tags = dict(_META.findall(page.locator("#meta").text_content() or ""))
    assert (tags["og:image:width"], tags["og:image:height"]) == ("2400", "1260")
    card = page.request.get(link.get_attribute("href") or "")
    image = pyvips.Image.new_from_buffer(card.body(), "")
    assert (image.width, image.height) == (2400, 1260)
    assert '"dpr": 2' in (page.locator("#curl").text_content() or "")


def test_a_share_link_reproduces_the_state(page: Page) -> None:
    page.goto("/playground")
    wait_for_preview(page, "Shipping faster social cards")
    page.locator("#f-template").select_option("quote")
    page.locator("#f-palette").select_option("sunset")
    page.locator("#f-title").fill("Shared state")
    page.locator("#f-author").fill("Grace Hopper")
    wait_for_preview(page, "Shared state")
    link = page.locator("#share").input_value()
    assert "template=quote" in link and "palette=sunset" in link
    page.goto(link)
    wait_for_preview(page, "Shared state")
    expect(page.locator("#f-template")).to_have_value("quote")
    expect(page.locator("#f-palette")).to_have_value("sunset")
    expect(page.locator("#f-author")).to_have_value("Grace Hopper")


def test_the_signed_url_box_answers_for_itself(
    page: Page, api_key: str, server: OgEdgeServer
) -> None:
    page.goto("/playground")
    wait_for_preview(page, "Shipping faster social cards")
    page.locator("#p-key").fill(api_key)
    page.locator("#p-sign").click()
    note = page.locator("#signed-note")
    # A project without a signing key is told the one command that makes one.
    expect(note).to_contain_text("ogedge projects signing-key create browser")
    expect(page.locator("#signed")).to_be_hidden()

    subprocess.run(
        [OGEDGE, "projects", "signing-key", "create", "browser", "--quiet"],
        env=server.env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    page.locator("#p-sign").click()
    expect(note).to_contain_text("signature covers")
    signed = page.locator("#signed").text_content() or ""
    assert signed.startswith(f"{server.url}/og/browser/") and "sig=" in signed
    # The URL the page hands out is one the server renders.
    with urlopen(signed, timeout=60) as r:
        assert r.status == 200 and r.headers["content-type"].startswith("image/")


def test_the_playground_fits_a_phone(phone: Page) -> None:
    phone.goto("/playground")
    wait_for_preview(phone, "Shipping faster social cards")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "playground-phone")
    phone.locator("#preview-frame").scroll_into_view_if_needed()
    screenshot(phone, "playground-phone-preview", full_page=False)
