"""The storage layout: every key ogedge reads or writes, in one place (under the data directory,
or the bucket + prefix).

    specs/<slug>.json                 the spec record of a card (its existence is the slug's)
    images/<slug>/<variant>.<ext>     rendered bytes, ETag and creation time in object metadata
    assets/<sha256>                   avatar, logo, favicon, page image or custom template bytes
    revisions/<project>/<hash>.json   the current revision of a spec (`force` moves it on)
    keys/<sha256>.json                an API key's record, found by the hash of its secret
    keys/by-id/<id>.json              pointer from a key's public id to its hash
    projects/<name>.json              a project's record (monthly quota)
    templates/by-id/<id>.json         a custom template (project, title, TOML)
    signing/<project>/<id>.json       a URL-signing key's record (never its secret: derived)
    domains/<project>/<host>          a host whose pages the meta-tag URL mode may render
    index/keys/<project>/<id>         listing markers (proxy/storage/index.py): a project's keys,
    index/templates/<project>/<id>      its custom templates,
    index/cards/<project>/<n>-<slug>    and its cards, newest first (n counts down with time)
    system/secret                     the slug secret when OGEDGE_SECRET is not set
"""

from __future__ import annotations

from proxy.records import FORMATS, PRIMARY_VARIANT

__all__ = [
    "CARD_INDEX",
    "KEY_INDEX",
    "LEGACY_KEY_INDEX",
    "SECRET",
    "TEMPLATE_INDEX",
    "asset",
    "domains",
    "image",
    "key_pointer",
    "key_record",
    "legacy_template_index",
    "project",
    "revision",
    "signing_key",
    "signing_keys",
    "spec",
    "template",
]

SECRET = "system/secret"
KEY_INDEX = "index/keys"
TEMPLATE_INDEX = "index/templates"
CARD_INDEX = "index/cards"
# Written by ogedge 0.1 (one JSON document per index); still read so their entries stay listed.
LEGACY_KEY_INDEX = "keys/index.json"


def spec(slug: str) -> str:
    return f"specs/{slug}.json"


def image(slug: str, fmt: str, variant: str = PRIMARY_VARIANT) -> str:
    return f"images/{slug}/{variant}.{FORMATS[fmt][0]}"


def asset(sha256_hex: str) -> str:
    return f"assets/{sha256_hex}"


def revision(project: str, spec_hash: str) -> str:
    return f"revisions/{project}/{spec_hash}.json"


def key_record(digest: str) -> str:
    return f"keys/{digest}.json"


def key_pointer(key_id: str) -> str:
    return f"keys/by-id/{key_id}.json"


def project(name: str) -> str:
    return f"projects/{name}.json"


def template(template_id: str) -> str:
    return f"templates/by-id/{template_id}.json"


def signing_keys(project_name: str) -> str:
    return f"signing/{project_name}/"


def signing_key(project_name: str, key_id: str) -> str:
    return f"signing/{project_name}/{key_id}.json"


def domains(project_name: str) -> str:
    return f"domains/{project_name}/"


def legacy_template_index(project_name: str) -> str:
    return f"templates/projects/{project_name}.json"
