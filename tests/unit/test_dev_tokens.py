"""The development token issuer: off by default, and when on, its tokens are accepted by the staff API."""
from fastapi.testclient import TestClient

from identification.bootstrap import build_runtime
from identification.config import Settings
from identification.main import create_app


def client(tmp_path, **settings) -> TestClient:
    runtime = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/identification.db", **settings))
    runtime.migrate()
    return TestClient(create_app(runtime=runtime, start_workers=False))


def test_the_issuer_is_off_unless_enabled(tmp_path):
    with client(tmp_path) as c:
        assert c.post("/dev/tokens", json={"subject": "x", "role": "county", "area": "530102"}).status_code == 404


def test_an_issued_token_is_accepted_and_a_bad_request_names_the_rule(tmp_path):
    with client(tmp_path, dev_token_issuer=True) as c:
        r = c.post("/dev/tokens", json={"subject": "zhao", "role": "county", "area": "530102"})
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        answer = c.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.json()["total"] == 0
        assert c.get("/api/v1/cases").status_code == 401
        bad = c.post("/dev/tokens", json={"subject": "li", "role": "village", "area": "530102"})
        assert bad.status_code == 422 and "12-digit" in bad.json()["message"]
