"""The public endpoints' guards: a rate limit per client address and a limit on the body size.

The limit is per process (each API process counts its own callers), which is what a single-node installation needs;
behind a reverse proxy the proxy's address is the client's, so the proxy should apply its own limit as well.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import HTTPException, Request


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds from one address (a sliding window)."""

    def __init__(self, limit: int, window: float, now=time.monotonic):
        self.limit, self.window, self._now = limit, window, now
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> float | None:
        """None when allowed (and counted); otherwise the seconds until the next request would be."""
        now = self._now()
        with self._lock:
            seen = self._seen.setdefault(address, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return max(seen[0] + self.window - now, 0.0)
            seen.append(now)
            if len(self._seen) > 100_000:  # forget idle addresses rather than grow without bound
                for key in [k for k, v in self._seen.items() if not v][:50_000]:
                    del self._seen[key]
            return None


def rate_limited(request: Request) -> None:
    limiter: RateLimiter = request.app.state.runtime.rate_limiter
    address = request.client.host if request.client else "unknown"
    wait = limiter.allow(address)
    if wait is not None:
        raise HTTPException(429, detail={"error": "too_many_requests",
                                         "message": "Too many requests from your address; try again shortly.",
                                         "message_zh": "您的请求过于频繁，请稍后重试。",
                                         "retry_after_seconds": int(wait) + 1},
                            headers={"Retry-After": str(int(wait) + 1)})


async def body_within_limit(request: Request) -> None:
    limit = request.app.state.runtime.settings.public_max_body_bytes
    declared = request.headers.get("content-length")
    too_large = declared is not None and declared.isdigit() and int(declared) > limit
    if not too_large:
        too_large = len(await request.body()) > limit
    if too_large:
        raise HTTPException(413, detail={"error": "payload_too_large",
                                         "message": f"The request body is larger than {limit} bytes; describe "
                                                    "attachments by name and size only.",
                                         "message_zh": f"请求内容超过 {limit} 字节；附件只需填写名称和大小。",
                                         "limit_bytes": limit})
