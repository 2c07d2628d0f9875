"""Ed25519 keys of this installation and the JWS notifications signed with them (PyJWT, EdDSA), plus the JWKS."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

ALGORITHM = "EdDSA"
TYPE = "exchange-notification+jwt"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict:
        jwk = json.loads(OKPAlgorithm.to_jwk(self.public_key))
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return jwk


def key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint of the public key, so the kid is stable and derivable by anyone."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def load_or_create(path: str | os.PathLike) -> SigningKey:
    """Read the installation's private key (PEM), generating it on first start with mode 0600."""
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption())
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, pem)
        finally:
            os.close(fd)
    key = serialization.load_pem_private_key(p.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{p} does not hold an Ed25519 private key")
    return SigningKey(key_id(key.public_key()), key)


def jwks(keys: list[SigningKey]) -> dict:
    return {"keys": [k.public_jwk() for k in keys]}


def sign_notification(key: SigningKey, *, subscription_id: str, event: dict, now: datetime,
                      notification_id: str | None = None, kind: str = "notify", issuer: str = "exchange") -> tuple[str, str]:
    """Return (notification id, compact JWS). `jti` is unique per attempt-independent notification and `iat`
    is the signing time: a receiver refuses a jti it has seen and an iat too far from its own clock."""
    nid = notification_id or str(uuid.uuid4())
    claims = {"iss": issuer, "sub": subscription_id, "jti": nid, "iat": int(now.timestamp()),
              "kind": kind, "event": event}
    token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": TYPE})
    return nid, token


def verify(token: str, public_jwks: dict) -> dict:
    """Verify with a JWKS document, as a partner would (the kid picks the key)."""
    kid = jwt.get_unverified_header(token).get("kid")
    for k in public_jwks["keys"]:
        if k.get("kid") == kid:
            return jwt.decode(token, jwt.PyJWK(k).key, algorithms=[ALGORITHM])
    raise jwt.InvalidKeyError(f"no key {kid!r} in the JWKS")
