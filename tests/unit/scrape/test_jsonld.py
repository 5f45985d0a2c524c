"""JSON-LD: which nodes count, the shapes values come in, and the bounds on what is read."""

from __future__ import annotations

import json

from selectolax.lexbor import LexborHTMLParser

from proxy.scrape.jsonld import ImageRef, JsonLd, read_jsonld


def ld(*blocks: object | str) -> JsonLd:
    scripts = "".join(
        f'<script type="application/ld+json">{b if isinstance(b, str) else json.dumps(b)}</script>'
        for b in blocks
    )
    return read_jsonld(LexborHTMLParser(f"<html><head>{scripts}</head></html>"))


ARTICLE = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "Bridge reopens",
    "description": "After two years.",
    "image": "https://n.example/bridge.jpg",
    "publisher": {"@type": "Organization", "name": "The Herald", "logo": {"url": "/logo.png"}},
    "author": {"@type": "Person", "name": "Maya", "image": "https://n.example/maya.jpg"},
}


def test_article_fields() -> None:
    data = ld(ARTICLE)
    assert data.headlines() == ["Bridge reopens"]
    assert data.descriptions() == ["After two years."]
    assert data.site_names() == ["The Herald"]
    # The publisher's logo and the author's photo are not the article's image.
    assert data.images() == [ImageRef("https://n.example/bridge.jpg")]


def test_graph_with_id_references_and_website_name_first() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "WebPage",
                "@id": "#page",
                "name": "Migraine - Lumen",
                "primaryImageOfPage": {"@id": "#img"},
            },
            {
                "@type": "ImageObject",
                "@id": "#img",
                "url": "/m.jpg",
                "width": 1200,
                "height": "675",
            },
            {
                "@type": "WebSite",
                "@id": "#site",
                "name": "Lumen Health",
                "publisher": {"@id": "#o"},
            },
            {"@type": "Organization", "@id": "#o", "name": "Lumen Group plc", "image": "/logo.png"},
        ],
    }
    data = ld(graph)
    assert data.images() == [ImageRef("/m.jpg", 1200, 675)]
    assert data.site_names() == ["Lumen Health", "Lumen Group plc"]
    assert data.headlines() == ["Migraine - Lumen"]


def test_publisher_by_reference_and_as_plain_text() -> None:
    by_ref = {
        "@graph": [
            {"@type": "Article", "publisher": {"@id": "#org"}},
            {"@type": "Organization", "@id": "#org", "name": "Ref Co"},
        ]
    }
    assert ld(by_ref).site_names() == ["Ref Co"]
    assert ld({"@type": "BlogPosting", "publisher": "Plain Press"}).site_names() == ["Plain Press"]


def test_top_level_array_and_type_spellings() -> None:
    data = ld(
        [
            {"@type": "schema:LocalBusiness", "name": "Fernhill Bakery", "image": "/logo.png"},
            {"@type": ["http://schema.org/Recipe"], "name": "Leeks", "image": ["/a.jpg", "/b.jpg"]},
        ]
    )
    assert data.site_names() == ["Fernhill Bakery"]
    assert [i.url for i in data.images()] == ["/a.jpg", "/b.jpg"]  # not the business's logo
    assert data.headlines() == ["Leeks"]


def test_image_shapes() -> None:
    data = ld(
        {
            "@type": "VideoObject",
            "image": [{"@type": "ImageObject", "contentUrl": "/c.jpg", "width": {"value": 800}}],
            "thumbnailUrl": ["/t.jpg"],
            "thumbnail": {"url": "/th.jpg", "height": "90px"},
        }
    )
    assert data.images() == [ImageRef("/c.jpg", 800), ImageRef("/t.jpg"), ImageRef("/th.jpg", None, 90)]  # fmt: skip


def test_person_and_profile_images_are_not_content() -> None:
    profile = {"@type": "ProfilePage", "mainEntity": {"@type": "Person", "image": "/me-96.jpg"}}
    assert ld(profile).images() == []


def test_main_entity_is_read() -> None:
    page = {"@type": "QAPage", "mainEntity": {"@type": "Question", "name": "How?", "text": "x"}}
    assert ld(page).headlines() == ["How?"]


def test_text_is_unescaped_and_stripped_of_markup() -> None:
    data = ld({"@type": "Recipe", "description": "<p>Romesco &amp; <b>hazelnuts</b></p>"})
    assert data.descriptions() == ["Romesco & hazelnuts"]


def test_invalid_blocks_are_skipped_and_later_ones_read() -> None:
    data = ld(
        '{"@type": "Organization", "name": "Trailing", }',
        "{not json",
        '{"@type": "Article", "headline": "Survivor"}',
    )
    assert data.headlines() == ["Survivor"]
    assert data.site_names() == []


def test_comment_and_cdata_wrappers_and_raw_line_breaks() -> None:
    wrapped = '<!--\n{"@type": "Article", "headline": "Wrapped"}\n-->'
    cdata = '//<![CDATA[\n{"@type": "Article", "description": "Line\none"}\n//]]>'
    assert ld(wrapped).headlines() == ["Wrapped"]
    assert ld(cdata).descriptions() == ["Line one"]


def test_deep_nesting_is_ignored_not_fatal() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert ld(deep, {"@type": "Article", "headline": "After"}).headlines() == ["After"]


def test_oversized_block_is_skipped() -> None:
    huge = {"@type": "Article", "headline": "Huge", "articleBody": "x" * 300_000}
    assert ld(huge).headlines() == []


def test_only_the_first_scripts_are_read() -> None:
    blocks = [{"@type": "Article", "headline": f"H{i}"} for i in range(12)]
    assert ld(*blocks).headlines() == [f"H{i}" for i in range(8)]


def test_node_count_is_bounded() -> None:
    graph = {"@graph": [{"@type": "Article", "headline": f"H{i}"} for i in range(10_000)]}
    assert len(ld(graph).headlines()) < 200


def test_wrong_value_types_are_ignored() -> None:
    data = ld({"@type": 7, "headline": "x"}, {"@type": "Article", "headline": 5, "image": 3})
    assert data.headlines() == []
    assert data.images() == []
