"""Every entry point of gradual_exit that can change state declares what it publishes, and every declared event has a contract:
each non-GET route (x-emits in the OpenAPI, or a reason it changes nothing), each consumer handler and each periodic
job. Built on a throw-away SQLite file, nothing is called."""
import pytest

from gradual_exit.bootstrap import build_runtime
from gradual_exit.config import Settings
from gradual_exit.main import create_app
from shared.contracts import registry

KNOWN = {urn.split(":")[-2] for urn in registry().known_schemas()}


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db')}/gradual_exit.db"
    return build_runtime(Settings(database_url=url, kafka_bootstrap="127.0.0.1:1"))


def test_every_state_changing_route_declares_its_events(runtime):
    spec = create_app(runtime=runtime, start_workers=False).openapi()
    routes = [(method, path, op) for path, ops in spec["paths"].items() for method, op in ops.items()
              if method in ("post", "put", "patch", "delete")]
    assert routes
    for method, path, op in routes:
        declared = op.get("x-emits")
        assert declared is not None, f"{method} {path} declares no events"
        assert declared or op.get("x-no-state-change"), f"{method} {path}: no events and no reason"
        assert set(declared) <= KNOWN, f"{method} {path}: no contract for {set(declared) - KNOWN}"
        assert all(t.startswith("gradual_exit.") for t in declared)


def test_every_consumer_handler_and_periodic_job_declares_its_events(runtime):
    entries = [(f"{c.name} {t}", h) for c in runtime.consumers for t, h in c.handlers.items()]
    entries += [(f"periodic {name}", job) for name, _seconds, job in runtime.periodic]
    assert entries
    for name, fn in entries:
        declared = getattr(fn, "__emits__", None)
        assert declared is not None, f"{name} declares no events"
        assert declared or fn.__no_state_change__, f"{name}: no events and no reason"
        assert set(declared) <= KNOWN, f"{name}: no contract for {set(declared) - KNOWN}"
