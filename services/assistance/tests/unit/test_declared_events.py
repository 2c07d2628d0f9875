"""Every entry point that can change state says which events it publishes (CONVENTIONS: route_emits / @emits), and
every event it names has a contract."""
from assistance.bootstrap import build_runtime
from assistance.config import Settings
from assistance.main import create_app
from shared.contracts import registry


def _known_types() -> set[str]:
    return {urn.split(":")[-2] for urn in registry().known_schemas()}


def test_every_state_changing_route_declares_its_events(tmp_path):
    runtime = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/a.db", kafka_bootstrap="127.0.0.1:1"))
    app = create_app(runtime=runtime, start_workers=False)
    known = _known_types()
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "head") or not path.startswith("/api/"):
                continue
            assert operation.get("x-emits") or operation.get("x-no-state-change"), f"{method} {path}"
            assert set(operation.get("x-emits", [])) <= known, f"{path}: {set(operation['x-emits']) - known}"
            checked += 1
    assert checked == 13  # with POST /reassessments and POST /policy/preview


def test_every_consumer_handler_and_timer_declares_its_events(tmp_path):
    runtime = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/a.db", kafka_bootstrap="127.0.0.1:1"))
    known = _known_types()
    handlers = {t: h for spec in runtime.consumers for t, h in spec.handlers.items()}
    assert {"gradual_exit.observation.started", "gradual_exit.observation.reverted",
            "gradual_exit.observation.completed", "gradual_exit.household.exited",
            "identification.household.enrolled", "policy.ruleset.published"} == set(handlers)
    jobs = {name: job for name, _every, job in runtime.periodic}
    assert set(jobs) == {"new_period", "taper_months"}
    for name, fn in [*handlers.items(), *jobs.items()]:
        declared = getattr(fn, "__emits__", None)
        assert declared or getattr(fn, "__no_state_change__", None), name
        assert set(declared) <= known, f"{name}: {set(declared) - known}"
    assert "assistance.benefit.adjusted" in handlers["gradual_exit.observation.started"].__emits__
    assert jobs["taper_months"].__emits__ == ("assistance.benefit.adjusted",)
    replica = handlers["policy.ruleset.published"]  # a copy of policy's state: no event of its own
    assert replica.__emits__ == () and "published policy version" in replica.__no_state_change__
