"""Installation key on first start (0600, stable kid), JWS notifications verified with the JWKS."""
import stat
from datetime import datetime, timezone

import jwt
import pytest

from exchange.webhooks.signing import jwks, load_or_create, sign_notification, verify

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


def test_key_generated_once_with_mode_0600(tmp_path):
    path = tmp_path / "keys" / "webhook-ed25519.pem"
    k1 = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    k2 = load_or_create(path)
    assert k1.kid == k2.kid and len(k1.kid) == 43


def test_notification_verifies_with_jwks(tmp_path):
    key = load_or_create(tmp_path / "k.pem")
    doc = jwks([key])
    assert doc["keys"][0]["kty"] == "OKP" and doc["keys"][0]["crv"] == "Ed25519" and "d" not in doc["keys"][0]
    nid, token = sign_notification(key, subscription_id="s1", event={"id": "e1"}, now=NOW)
    claims = verify(token, doc)
    assert claims["jti"] == nid and claims["iat"] == int(NOW.timestamp()) and claims["event"] == {"id": "e1"}
    assert jwt.get_unverified_header(token)["kid"] == key.kid


def test_tampered_or_foreign_key_refused(tmp_path):
    key = load_or_create(tmp_path / "a.pem")
    other = load_or_create(tmp_path / "b.pem")
    _, token = sign_notification(key, subscription_id="s1", event={"id": "e1"}, now=NOW)
    head, body, sig = token.split(".")
    with pytest.raises(jwt.InvalidSignatureError):
        verify(f"{head}.{body[:-2]}AA.{sig}", jwks([key]))
    with pytest.raises(jwt.InvalidKeyError):
        verify(token, jwks([other]))
