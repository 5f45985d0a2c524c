"""Signed render URLs: the canonical form and signature (canonical), the projects' signing keys
(keys), and the check a request must pass before anything is rendered or read (verify)."""

from proxy.signing.canonical import SIG_LENGTH, canonical, sign, signature_matches, signed_url
from proxy.signing.keys import MAX_ACTIVE, SigningKey, SigningKeyNotFound, SigningKeys
from proxy.signing.verify import ExpiredSignature, InvalidSignature, MissingSignature, Verifier

__all__ = [
    "MAX_ACTIVE",
    "SIG_LENGTH",
    "ExpiredSignature",
    "InvalidSignature",
    "MissingSignature",
    "SigningKey",
    "SigningKeyNotFound",
    "SigningKeys",
    "Verifier",
    "canonical",
    "sign",
    "signature_matches",
    "signed_url",
]
