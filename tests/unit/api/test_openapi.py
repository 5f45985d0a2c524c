"""/schema describes every generation endpoint: request bodies, success and error responses."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import TestClient

import config
from proxy.app import create_app


def test_schema_documents_bodies_and_errors(tmp_path: Path, state_env: dict[str, str]) -> None:
    settings = config.load({"OGEDGE_DATA_DIR": str(tmp_path), **state_env})
    with TestClient(create_app(settings)) as tc:
        r = tc.get("/schema/openapi.json")
        assert r.status_code == 200
        doc = r.json()
    schemas = doc["components"]["schemas"]
    render = doc["paths"]["/api/v2/render"]["post"]
    body = render["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    props = schemas[body]["properties"]
    for field in (
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
        "dpr",
        "webhookUrl",
        "webhookSecret",
        "metadata",
    ):
        assert field in props, field
    assert set(render["responses"]) >= {
        "200",
        "201",
        "400",
        "401",
        "403",
        "404",
        "413",
        "422",
        "429",
        "503",
    }
    generate = doc["paths"]["/images/generate"]["post"]
    gbody = generate["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[
        1
    ]
    assert set(schemas[gbody]["properties"]) == {
        "url",
        "projectId",
        "kind",
        "template",
        "style",
        "dpr",
        "force",
    }
    assert set(generate["responses"]) >= {"200", "400", "401", "403", "422", "429", "503"}
    ok = generate["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit(
        "/", 1
    )[1]
    assert {"id", "imageUrl", "generationMs", "source", "assets", "ai"} <= set(
        schemas[ok]["properties"]
    )
    error = render["responses"]["429"]["content"]["application/json"]["schema"]["$ref"].rsplit(
        "/", 1
    )[1]
    assert set(schemas[error]["properties"]) == {"success", "error"}
