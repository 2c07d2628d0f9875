"""Webhook routes: the public keys partners verify notifications with (more routes to come: subscriptions)."""
from __future__ import annotations

from typing import Callable

from fastapi import APIRouter

from exchange.webhooks.signing import SigningKey, jwks


def jwks_router(keys: Callable[[], list[SigningKey]]) -> APIRouter:
    router = APIRouter()

    @router.get("/.well-known/jwks.json", tags=["webhooks"],
                summary="Public keys of this installation's webhook signatures (JWKS, Ed25519, by kid)")
    def get_jwks() -> dict:
        return jwks(keys())

    return router
