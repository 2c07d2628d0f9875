"""Every service's app built in-process for the cross-service harnesses: no relay, no consumers, no broker needed."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from fastapi import FastAPI

from shared.auth import issue_token
from shared.runtime import ServiceRuntime

UNREACHABLE_BROKER = "127.0.0.1:1"  # the harness runs without a broker; /readyz then answers 503


@dataclass
class ServiceApp:
    service: str
    app: FastAPI
    runtime: ServiceRuntime

    def token(self, role: str = "admin", area: str = "", subject: str = "fuzz", **claims) -> str:
        return issue_token(self.runtime.settings.jwt_secret, subject=f"{subject}-{role}", role=role, area=area, **claims)

    def headers(self, role: str = "admin", area: str = "", **claims) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, area, **claims)}"}


def build(service: str, database_url: str, migrate: bool = True, **settings) -> ServiceApp:
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    config = importlib.import_module(f"{service}.config")
    main = importlib.import_module(f"{service}.main")
    values = dict(database_url=database_url, dev_token_issuer=True, run_relay=False, run_consumers=False,
                  kafka_bootstrap=UNREACHABLE_BROKER)
    values.update(settings)
    runtime = bootstrap.build_runtime(config.Settings(**values))
    if migrate and not database_url.startswith("postgresql"):  # the databases fixture migrates PostgreSQL itself
        runtime.migrate()
    app = main.create_app(runtime=runtime, start_workers=False)
    return ServiceApp(service, app, runtime)
