"""The pre-parse cut: ordinary pages pass whole, deep or tag-flooded ones are cut."""

from __future__ import annotations

from proxy.scrape.bounds import MAX_DEPTH, MAX_TAGS, bounded


def test_ordinary_page_is_untouched() -> None:
    rows = "".join(f"<tr><td>{i}<td>x" for i in range(1000))
    items = "".join(f"<li><a href=/{i}>{i}</a>" for i in range(1000))
    html = f"<html><head><meta charset=utf-8><link rel=icon href=/i.png></head><body><div><table>{rows}</table><ul>{items}</ul></div><br><img src=x></body></html>"
    assert bounded(html) == html


def test_deep_nesting_is_cut_at_the_limit() -> None:
    html = "<title>t</title>" + "<div>" * (MAX_DEPTH * 4)
    cut = bounded(html)
    assert cut.startswith("<title>t</title>")
    assert cut.count("<div>") == MAX_DEPTH


def test_closed_elements_do_not_add_depth() -> None:
    html = "<div><span>x</span></div>" * (MAX_DEPTH * 4)
    assert bounded(html) == html


def test_tag_flood_is_cut() -> None:
    html = "<span></span>" * MAX_TAGS
    cut = bounded(html)
    assert len(cut) < len(html)
    assert cut.count("<") == MAX_TAGS
