from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from proxy.webhooks import render_completed

CREATED = datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def test_render_completed_shape() -> None:
    body = render_completed(
        slug="Ab3dEf6hIj9k",
        url="https://og.example.com/i/Ab3dEf6hIj9k",
        template="hero",
        kind="og",
        metadata={"post": 42},
        created_at=CREATED,
        cached=False,
        now=CREATED,
    )
    assert orjson.loads(body) == {
        "type": "render.completed",
        "timestamp": "2030-05-06T07:08:09.123Z",
        "data": {
            "slug": "Ab3dEf6hIj9k",
            "url": "https://og.example.com/i/Ab3dEf6hIj9k",
            "template": "hero",
            "kind": "og",
            "metadata": {"post": 42},
            "created_at": "2030-05-06T07:08:09.123Z",
            "cached": False,
        },
    }


def test_missing_metadata_is_an_empty_object() -> None:
    body = render_completed(
        slug="s",
        url="https://h/i/s",
        template="t",
        kind="og",
        metadata=None,
        created_at=CREATED,
        cached=True,
    )
    assert orjson.loads(body)["data"]["metadata"] == {}


def test_only_the_public_slug_url_is_accepted() -> None:
    with pytest.raises(ValueError, match="public /i/s URL"):
        render_completed(
            slug="s",
            url="https://bucket.s3.amazonaws.com/images/s/og.png",
            template="t",
            kind="og",
            metadata=None,
            created_at=CREATED,
            cached=False,
        )
