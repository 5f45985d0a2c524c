"""Fuzzing beyond the schema: what a hostile client sends, in every place it can put it.

The schema fuzzer only tries what the OpenAPI document describes. Here hypothesis puts hostile
strings (paths that climb, NUL and control characters, encodings, lone surrogates, huge
values) into every path parameter, query parameter and body field of every operation, and
nests JSON bodies thousands of levels deep, with and without an API key. Nothing may answer
5xx, and every 4xx carries the documented error body.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from tests.security.test_fuzz import FUZZ_SETTINGS, Fuzz, assert_error_body, fuzz

__all__ = ["fuzz"]  # the fixture, imported to be used here

HOSTILE_WORDS = [
    "custom_../../x",
    "../../../../etc/passwd",
    "..%2f..%2fsystem%2fsecret",
    "custom_%00",
    "custom_\x00",
    "blog\x00",
    "\x00",
    "\x1b[31m",
    "a\r\nSet-Cookie: x=1",
    "\u202eevil",
    "\ud800",
    "custom_" + "f" * 16,
    "custom_" + "F" * 16,
    "custom_" + "0" * 15 + "/",
    "specs/AAAAAAAAAAAA.json",
    "/absolute",
    "\\\\server\\share",
    "con",
    "x" * 5000,
    "%",
    "%%",
    "😀" * 40,
    "null",
    "[]",
]
hostile = st.sampled_from(HOSTILE_WORDS) | st.text(
    alphabet=st.characters(codec="utf-8", categories=("Cc", "Cf", "Zs", "L", "P", "S")),
    max_size=64,
)
# Every body field of both POST endpoints and the upload, and the query parameters.
BODY_FIELDS = {
    "/api/v2/render": [
        "template",
        "title",
        "description",
        "tag",
        "author",
        "avatar",
        "logo",
        "font",
        "palette",
        "backgroundColor",
        "textColor",
        "accentColor",
        "kind",
        "format",
        "webhookUrl",
        "webhookSecret",
    ],
    "/images/generate": ["url", "projectId", "kind", "template", "style"],
    "/api/v2/templates": ["toml", "title"],
}
VALID = {
    "/api/v2/render": {"template": "blog", "title": "Hostile"},
    "/images/generate": {"url": "https://example.com/"},
    "/api/v2/templates": {"toml": "name = 'x'"},
}


def check(response: Any, context: str) -> None:
    assert response.status_code < 500, f"{context}: {response.status_code} {response.text!r}"
    if response.status_code >= 400 and response.request.method != "HEAD":
        assert_error_body(response, context)


def test_hostile_values_in_every_body_field(fuzz: Fuzz) -> None:
    @settings(max_examples=150, **FUZZ_SETTINGS)
    @given(
        path=st.sampled_from(sorted(BODY_FIELDS)),
        data=st.data(),
        value=hostile,
        with_key=st.sampled_from([True, True, False]),
    )
    def post(path: str, data: st.DataObject, value: str, with_key: bool) -> None:
        field = data.draw(st.sampled_from(BODY_FIELDS[path]))
        body = {**VALID[path], field: value}
        headers = {"content-type": "application/json"}
        if with_key:
            headers["x-api-key"] = fuzz.key
        content = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
        response = fuzz.client.post(path, content=content, headers=headers)
        check(response, f"POST {path} {field}={value!r}")

    post()


def test_hostile_values_in_every_path_and_query_parameter(fuzz: Fuzz) -> None:
    @settings(max_examples=150, **FUZZ_SETTINGS)
    @given(
        value=hostile,
        where=st.sampled_from(
            [
                ("GET", "/i/{}"),
                ("HEAD", "/i/{}"),
                ("GET", "/api/v2/templates/{}"),
                ("DELETE", "/api/v2/templates/{}"),
                ("GET", "/api/v2/templates/{}/preview.png"),
                ("GET", "/api/v2/templates?projectId={}"),
                ("GET", "/api/v2/templates/blog/preview.png?kind={}"),
            ]
        ),
        with_key=st.booleans(),
    )
    def call(value: str, where: tuple[str, str], with_key: bool) -> None:
        method, template = where
        encoded = quote(value.encode("utf-8", "surrogatepass"), safe="")
        path = template.format(encoded)
        headers = {"x-api-key": fuzz.key} if with_key else {}
        response = fuzz.client.request(method, path, headers=headers)
        check(response, f"{method} {path}")

    call()


@pytest.mark.parametrize("path", sorted(BODY_FIELDS))
@pytest.mark.parametrize("depth", [64, 1_000, 5_000, 20_000])
@pytest.mark.parametrize("with_key", [True, False])
def test_json_nested_thousands_of_levels_deep(
    fuzz: Fuzz, path: str, depth: int, with_key: bool
) -> None:
    headers = {"content-type": "application/json"}
    if with_key:
        headers["x-api-key"] = fuzz.key
    for content in (
        b"[" * depth + b"]" * depth,
        b'{"title": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}",
    ):
        response = fuzz.client.post(path, content=content, headers=headers)
        check(response, f"POST {path} depth {depth}")
        assert response.status_code in (400, 401, 413, 422), response.text


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe{}",  # not UTF-8
        b'\xef\xbb\xbf{"title": "bom"}',
        b'{"title": "\\ud800"}',  # a lone surrogate, escaped
        b'{"title": 1e999}',
        b'{"title": "a", "title": "b", "template": "blog"}',
        b"",
        b"\x00",
        b'{"template": "blog", "title": "' + b"\\u0000" * 100 + b'"}',
    ],
)
@pytest.mark.parametrize("path", ["/api/v2/render", "/images/generate"])
def test_odd_encodings(fuzz: Fuzz, content: bytes, path: str) -> None:
    headers = {"content-type": "application/json", "x-api-key": fuzz.key}
    check(fuzz.client.post(path, content=content, headers=headers), f"POST {path} {content!r}")
