"""The training clock: one persisted offset shared by every clock that reads the same file, only in training mode
(which needs the dev token issuer), moved by the CLI or by an admin's POST /dev/clock, waking the periodic jobs;
and the start-up refusals (training without the issuer, the published JWT secret without the issuer)."""
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData

from identification.bootstrap import build_runtime
from identification.config import Settings
from identification.main import create_app
from shared import clock as clock_module
from shared.clock import SystemClock, TrainingClock, parse_amount
from shared.config import DEV_JWT_SECRET, ServiceSettings
from shared.runtime import ServiceRuntime
from shared.training import ConfigurationError, check_startup
from tests.services import ROOT

DAY = timedelta(days=1)


def close_to(a, b, tolerance=timedelta(seconds=5)) -> bool:
    return abs(a - b) < tolerance


def test_the_offset_is_persisted_and_shared_by_every_clock_on_the_same_file(tmp_path):
    path = tmp_path / "clock.json"
    first, second = TrainingClock(path), TrainingClock(path)
    assert first.offset() == timedelta(0) and not path.exists()
    assert close_to(second.now(), SystemClock().now())
    second.now()  # second has read (and cached) the missing file: it must still notice the advance below
    first.advance(7 * DAY, by="test")
    assert second.offset() == 7 * DAY
    assert close_to(second.now(), SystemClock().now() + 7 * DAY)
    second.advance(timedelta(hours=36))
    assert first.offset() == 7 * DAY + timedelta(hours=36)
    assert TrainingClock(path).offset() == 7 * DAY + timedelta(hours=36), "a new process reads the same offset"
    now = first.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0) and now.tzinfo == timezone.utc
    first.reset()
    assert second.offset() == timedelta(0)


def test_the_clock_only_moves_forward_and_within_bounds(tmp_path):
    c = TrainingClock(tmp_path / "clock.json")
    for bad in (timedelta(0), -DAY, timedelta(days=3651)):
        with pytest.raises(ValueError):
            c.advance(bad)
    assert c.offset() == timedelta(0)
    c.advance(timedelta(days=3650))
    assert c.offset() == timedelta(days=3650)


def test_a_damaged_clock_file_is_a_clear_error_not_real_time(tmp_path):
    path = tmp_path / "clock.json"
    path.write_text('{"offset_seconds": "a week"}')
    with pytest.raises(RuntimeError, match="offset_seconds"):
        TrainingClock(path).now()
    path.write_text("not json")
    with pytest.raises(RuntimeError, match="shared.clock reset"):
        TrainingClock(path).now()


def test_concurrent_advances_all_count(tmp_path):
    path = tmp_path / "clock.json"
    threads = [threading.Thread(target=lambda: TrainingClock(path).advance(DAY)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert TrainingClock(path).offset() == 8 * DAY


def test_the_command_line_advances_shows_and_resets(tmp_path, capsys):
    path = str(tmp_path / "clock.json")
    assert clock_module.main(["--file", path, "advance", "7d"]) == 0
    assert '"offset_days": 7.0' in capsys.readouterr().out
    assert clock_module.main(["--file", path, "advance", "12h"]) == 0
    assert clock_module.main(["--file", path, "show"]) == 0
    assert '"offset_seconds": 648000' in capsys.readouterr().out
    assert clock_module.main(["--file", path, "advance", "soon"]) == 2
    assert "not an amount of time" in capsys.readouterr().err
    assert clock_module.main(["--file", path, "reset"]) == 0
    assert TrainingClock(path).offset() == timedelta(0)
    assert parse_amount("2w") == 14 * DAY and parse_amount("90m") == timedelta(minutes=90) and parse_amount("3") == 3 * DAY


def settings(tmp_path, **kw) -> Settings:
    kw.setdefault("jwt_secret", DEV_JWT_SECRET)
    return Settings(database_url=f"sqlite:///{tmp_path}/identification.db",
                    training_clock_file=str(tmp_path / "clock.json"), **kw)


def test_training_mode_is_refused_without_the_dev_token_issuer(tmp_path):
    with pytest.raises(ConfigurationError, match="IDENTIFICATION_TRAINING_MODE=true needs IDENTIFICATION_DEV_TOKEN_ISSUER"):
        build_runtime(settings(tmp_path, training_mode=True))
    runtime = build_runtime(settings(tmp_path, training_mode=True, dev_token_issuer=True))
    assert isinstance(runtime.clock, TrainingClock) and runtime.services.clock is runtime.clock
    assert isinstance(build_runtime(settings(tmp_path)).clock, SystemClock), "off by default"


def test_the_published_secret_is_refused_unless_the_dev_issuer_is_on(tmp_path):
    with pytest.raises(ConfigurationError, match="IDENTIFICATION_JWT_SECRET is the published development default"):
        check_startup(settings(tmp_path))
    check_startup(settings(tmp_path), serving_api=False)  # relay/consumer processes check no tokens
    check_startup(settings(tmp_path, dev_token_issuer=True))
    check_startup(settings(tmp_path, dev_token_issuer=True, training_mode=True))
    check_startup(settings(tmp_path, jwt_secret="x" * 48))
    with pytest.raises(ConfigurationError, match="TRAINING_MODE"):
        check_startup(settings(tmp_path, training_mode=True, jwt_secret="x" * 48))


def test_a_service_process_refuses_to_start_and_names_the_variable(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{ROOT}/services/identification",
           "IDENTIFICATION_DATABASE_URL": f"sqlite:///{tmp_path}/identification.db",
           "IDENTIFICATION_JWT_SECRET": DEV_JWT_SECRET}
    done = subprocess.run([sys.executable, "-m", "identification", "api", "--port", "1"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "refusing to start: IDENTIFICATION_JWT_SECRET is the published development default" in done.stderr
    env["IDENTIFICATION_TRAINING_MODE"] = "true"
    env["IDENTIFICATION_JWT_SECRET"] = "y" * 48
    done = subprocess.run([sys.executable, "-m", "identification", "api", "--port", "1"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "IDENTIFICATION_DEV_TOKEN_ISSUER=true" in done.stderr


def client(tmp_path, **kw) -> TestClient:
    runtime = build_runtime(settings(tmp_path, **kw))
    runtime.migrate()
    return TestClient(create_app(runtime=runtime, start_workers=False))


def token(c: TestClient, role: str, area: str) -> dict:
    r = c.post("/dev/tokens", json={"subject": f"{role}-trainer", "role": role, "area": area})
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def test_an_admin_advances_every_service_clock_over_http(tmp_path):
    with client(tmp_path, dev_token_issuer=True, training_mode=True) as c:
        shown = c.get("/dev/clock").json()
        assert shown["offset_seconds"] == 0 and shown["now"].endswith("+00:00")
        assert c.post("/dev/clock", json={"advance_days": 7}).status_code == 401
        county = c.post("/dev/clock", json={"advance_days": 7}, headers=token(c, "county", "530102"))
        assert county.status_code == 403
        admin = token(c, "admin", "")
        for bad in ({"advance_days": 0}, {"advance_days": -1}, {"advance_days": 3651}, {"advance_hours": 24},
                    {"advance_weeks": 1}):
            r = c.post("/dev/clock", json=bad, headers=admin)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] in ("advance_days", "advance_hours",
                                                                             "advance_weeks"), (bad, r.text)
        assert TrainingClock(tmp_path / "clock.json").offset() == timedelta(0)
        moved = c.post("/dev/clock", json={"advance_days": 7, "advance_hours": 2}, headers=admin)
        assert moved.status_code == 200, moved.text
        assert moved.json()["offset_seconds"] == 7 * 86400 + 7200
        assert "admin:admin-trainer@identification" == moved.json()["updated_by"]
        services_clock = c.app.state.runtime.services.clock
        assert close_to(services_clock.now(), SystemClock().now() + timedelta(days=7, hours=2))
        assert TrainingClock(tmp_path / "clock.json").offset() == timedelta(days=7, hours=2)


def test_the_clock_endpoint_is_absent_outside_training_mode(tmp_path):
    with client(tmp_path, dev_token_issuer=True) as c:
        assert c.get("/dev/clock").status_code == 404
        assert c.post("/dev/clock", json={"advance_days": 7}, headers=token(c, "admin", "")).status_code == 404


def test_periodic_jobs_run_right_after_the_clock_jumps_in_another_process(tmp_path):
    path = tmp_path / "clock.json"
    runtime = ServiceRuntime(ServiceSettings(training_mode=True, dev_token_issuer=True, training_clock_file=str(path)),
                             MetaData(), None, "", [])
    seen = []
    runtime.periodic.append(("deadlines", 3600.0, lambda rt: seen.append(rt.clock.now())))
    runtime.start_workers(relay=False, consumers=True)
    try:
        time.sleep(1.2)
        assert seen == [], "an hourly job does not run on its own within a second"
        TrainingClock(path).advance(30 * DAY)  # another process's clock instance, e.g. the CLI
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(seen) == 1 and close_to(seen[0], SystemClock().now() + 30 * DAY)
    finally:
        runtime.stop_workers()


def test_on_the_training_clock_an_events_time_is_training_time(tmp_path):
    from shared.envelope import decode
    from shared.synthetic import HouseholdFactory

    runtime = build_runtime(settings(tmp_path, training_mode=True, dev_token_issuer=True))
    runtime.training_clock.advance(30 * DAY)
    runtime.migrate()
    with runtime.session_factory() as session, session.begin():
        event = runtime.outbox.add(session, HouseholdFactory(1).application_event())
    assert close_to(event.time, SystemClock().now() + 30 * DAY)
    with runtime.engine.connect() as conn:
        payload = conn.execute(runtime.tables.outbox.select()).mappings().one()["payload"]
    stamped = datetime.fromisoformat(decode(bytes(payload))["time"].replace("Z", "+00:00"))
    assert close_to(stamped, SystemClock().now() + 30 * DAY)
