"""The canonical form of a signed render URL, and its signature.

    canonical = <path> "?" <key>=<value> ("&" <key>=<value>)*

- `path` is `/og/<project>/<template>`;
- every parameter but `sig` is included, `expires` too, each name and value UTF-8 and
  percent-encoded as RFC 3986 §2.3 says: letters, digits and `-._~` stay, every other byte
  is `%XX` with upper-case hex (a space is `%20`, never `+`);
- the pairs are sorted by encoded name (each name appears once);
- `sig` = the first 22 characters of the URL-safe base64 (no padding) of
  HMAC-SHA256(signing secret as UTF-8 bytes, canonical): 132 bits.

The URL a signer hands out is exactly `<origin><canonical>&sig=<sig>`, so a signer needs
nothing but this module's ten lines (README, "Use it from a meta tag"). The server rebuilds the
canonical form from the decoded parameters, so a client that re-encodes them (a `+` for a
space, lower-case hex) still matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["SIG_LENGTH", "canonical", "sign", "signature_matches", "signed_url"]

SIG_LENGTH = 22


def _pct(text: str) -> str:
    return quote(text, safe="-._~")


def canonical(path: str, params: Mapping[str, str]) -> str:
    pairs = sorted((_pct(k), _pct(v)) for k, v in params.items() if k != "sig")
    return path + "?" + "&".join(f"{k}={v}" for k, v in pairs)


def sign(secret: str, path: str, params: Mapping[str, str]) -> str:
    mac = hmac.new(secret.encode(), canonical(path, params).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:SIG_LENGTH]


def signature_matches(secret: str, path: str, params: Mapping[str, str], sig: str) -> bool:
    # Constant time: the comparison must not tell an attacker how many characters were right.
    return hmac.compare_digest(sign(secret, path, params), sig)


def signed_url(origin: str, secret: str, path: str, params: Mapping[str, str]) -> str:
    return f"{origin.rstrip('/')}{canonical(path, params)}&sig={sign(secret, path, params)}"
