"""Posts synthetic applications to a running discovery service (`make demo`)."""
from __future__ import annotations

import sys
import uuid

import httpx

from shared.synthetic import HouseholdFactory


def main(base_url: str, n: int) -> None:
    factory = HouseholdFactory(2026)
    ok = 0
    for _ in range(n):
        r = httpx.post(base_url + "/api/v1/applications", json=factory.application_body(),
                       headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=10)
        ok += r.status_code == 201
    print(f"demo: submitted {ok} of {n} synthetic applications to {base_url}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20)
