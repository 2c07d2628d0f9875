"""The JWKS route serves the installation's public key only, and a notification verifies with what it serves."""
from datetime import datetime, timezone

from fastapi import FastAPI
from fastapi.testclient import TestClient

from exchange.webhooks.api import jwks_router
from exchange.webhooks.signing import load_or_create, sign_notification, verify


def test_jwks_route(tmp_path):
    key = load_or_create(tmp_path / "k.pem")
    app = FastAPI()
    app.include_router(jwks_router(lambda: [key]))
    doc = TestClient(app).get("/.well-known/jwks.json").json()
    assert [k["kid"] for k in doc["keys"]] == [key.kid] and all("d" not in k for k in doc["keys"])
    _, token = sign_notification(key, subscription_id="s", event={"id": "e"}, now=datetime.now(timezone.utc))
    assert verify(token, doc)["event"] == {"id": "e"}
