"""Exports each service's OpenAPI document to contracts/openapi/<service>.json (`make openapi`)."""
from __future__ import annotations

import importlib
import json

from shared.contracts import contracts_dir

from tests.services import SERVICES  # noqa: E402


def current_openapi(service: str) -> dict:
    main = importlib.import_module(f"{service}.main")
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    settings = importlib.import_module(f"{service}.config").Settings(database_url="sqlite://")
    app = main.create_app(runtime=bootstrap.build_runtime(settings), start_workers=False)
    return json.loads(json.dumps(app.openapi()))


def export() -> None:
    out = contracts_dir() / "openapi"
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (out / f"{service}.json").write_text(json.dumps(current_openapi(service), indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        print(f"wrote {out / f'{service}.json'}")


if __name__ == "__main__":
    export()
