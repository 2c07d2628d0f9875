"""Idempotency-Key handling: a retried request returns the first result; stored in the same transaction as the change."""
from __future__ import annotations

import hashlib
import json

from fastapi import HTTPException
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session


def request_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def validate_key(key: str | None) -> None:
    if key is not None and not (1 <= len(key) <= 200):
        raise HTTPException(422, detail={
            "error": "validation_failed", "message": "The request is not valid; see errors.", "message_zh": "请求内容不符合要求，详见 errors。",
            "errors": [{"field": "header.Idempotency-Key", "rule": "length_1_200",
                        "message": "Idempotency-Key must be 1 to 200 characters",
                        "message_zh": "Idempotency-Key 长度必须在 1 到 200 个字符之间"}]})


def replay(session: Session, table: Table, scope: str, key: str, body_hash: str) -> tuple[int, dict] | None:
    """The stored (status, body) for this key, or None; a key reused with a different body is refused."""
    row = session.execute(select(table).where(table.c.scope == scope, table.c.key == key)).first()
    if row is None:
        return None
    if row.request_hash != body_hash:
        raise HTTPException(409, detail={
            "error": "idempotency_key_reused", "field": "header.Idempotency-Key", "rule": "same_key_same_body",
            "message": "This Idempotency-Key was already used with a different request body.",
            "message_zh": "该 Idempotency-Key 已用于另一个不同的请求。"})
    return row.status_code, json.loads(row.response_body)


def remember(session: Session, table: Table, scope: str, key: str, body_hash: str, status: int, body: dict) -> None:
    session.execute(insert(table).values(scope=scope, key=key, request_hash=body_hash, status_code=status,
                                         response_body=json.dumps(body, ensure_ascii=False, default=str)))
