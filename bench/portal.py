"""Benchmark: the portal's pages as a browser gets them, over HTTP, with the five services and the portal each
running as its own process (SQLite, the bench broker), as `make run` runs them: the citizens' pages, then the staff
pages with a signed-in village officer's session (sign-in page, My work, a case page, a household file; one
application is made first and followed until identification has its case and the portal's household file has it).

Run from the repository root with deploy/env.sh sourced and BENCH_KAFKA_BOOTSTRAP set (make bench does both):
    python -m bench.portal --requests 200
Prints the median and 95th percentile of each page, then one line:
portal_pages_median_ms=<worst median> portal_pages_p95_ms=<worst p95> portal_self_check_median_ms=<m>
portal_staff_pages_median_ms=<worst staff median> portal_staff_pages_p95_ms=<worst staff p95>
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SELF_CHECK = {"rows": "1", "m-0-age": "67", "m-0-labour": "none", "m-0-illness": "yes", "income": "300",
              "residence_months": "60", "division_code": "530102001001"}
PAGES = [("GET /", "GET", "/", None), ("GET /self-check", "GET", "/self-check", None),
         ("GET /apply", "GET", "/apply", None), ("GET /status", "GET", "/status", None),
         ("POST /self-check (identification's rules)", "POST", "/self-check", SELF_CHECK)]
BACKENDS = ("discovery", "identification", "assistance", "gradual_exit", "followup")
OFFICER = ("bench.village", "village", "530102001001", "压测村官")
PASSWORD = "bench officer password"
APPLICATION = {"division_code": "530102001001",
               "applicant": {"name": "张测试", "id_number": "11010519491231002X", "phone": "13800000000"},
               "members": [{"name": "张测试", "id_number": "11010519491231002X", "relationship": "self"},
                           {"name": "李测试", "id_number": "110105195001011234", "relationship": "spouse"}],
               "household_monthly_income_yuan": 300, "hardship_reason": "illness",
               "hardship_description": "户主长期住院", "consent_to_data_check": True}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(service: str, folder: str, bootstrap: str, env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _port()
    prefix = service.upper() + "_"
    env = {**os.environ, prefix + "DATABASE_URL": f"sqlite:///{folder}/{service}.db",
           prefix + "KAFKA_BOOTSTRAP": bootstrap, prefix + "TOPIC_PREFIX": f"bench{os.getpid()}.",
           prefix + "DEV_TOKEN_ISSUER": "true", prefix + "LOG_LEVEL": "WARNING", **env_extra}
    log = open(os.path.join(folder, f"{service}.log"), "ab")
    proc = subprocess.Popen([sys.executable, "-m", service, "api", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{service} exited; see {folder}/{service}.log")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{service} did not become ready; see {folder}/{service}.log")


def _time(client: httpx.Client, label: str, method: str, path: str, form, requests: int,
          medians: dict, p95s: dict) -> None:
    times = []
    for n in range(requests + 5):
        start = time.perf_counter()
        r = client.request(method, path, data=form)
        elapsed = (time.perf_counter() - start) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{label} answered {r.status_code}: {r.text[:300]}")
        if n >= 5:
            times.append(elapsed)
    times.sort()
    medians[label] = statistics.median(times)
    p95s[label] = times[int(len(times) * 0.95) - 1]
    print(f"{label:45s} median {medians[label]:6.1f} ms  p95 {p95s[label]:6.1f} ms  ({requests} requests)")


def _wait(what: str, probe, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


def _signed_in(url: str) -> httpx.Client:
    """A client holding a village officer's session, signed in through the sign-in form as a browser does."""
    client = httpx.Client(base_url=url, timeout=10)
    page = client.get("/staff/sign-in")
    token = re.search(r'name="signin_token" value="([^"]+)"', page.text)
    if page.status_code != 200 or not token:
        raise SystemExit(f"the sign-in page answered {page.status_code}")
    done = client.post("/staff/sign-in", data={"login": OFFICER[0], "password": PASSWORD, "next": "/staff",
                                               "signin_token": token.group(1)})
    if done.status_code != 303:
        raise SystemExit(f"signing in answered {done.status_code}: {done.text[:300]}")
    return client


def _case_and_household(urls: dict[str, str], staff: httpx.Client) -> tuple[str, str]:
    """One application, followed until identification has opened its case and the portal's file has the household."""
    submitted = httpx.post(urls["discovery"] + "/api/v1/applications", json=APPLICATION, timeout=10,
                           headers={"Idempotency-Key": f"bench-portal-{os.getpid()}"})
    if submitted.status_code not in (200, 201):
        raise SystemExit(f"the application answered {submitted.status_code}: {submitted.text[:300]}")
    application = submitted.json()["application_id"]
    token = httpx.post(urls["identification"] + "/dev/tokens", json={"subject": "bench", "role": "admin", "area": ""},
                       timeout=10).json()["access_token"]

    def case():
        r = httpx.get(urls["identification"] + "/api/v1/cases", params={"application_id": application}, timeout=10,
                      headers={"Authorization": f"Bearer {token}"})
        return r.status_code == 200 and r.json()["items"] and r.json()["items"][0]
    found = _wait("identification to open the case", case)
    household = found["household_id"]
    _wait("the portal's household file", lambda: staff.get(f"/staff/households/{household}").status_code == 200)
    return found["case_id"], household


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page (after 5 warm-up requests)")
    args = parser.parse_args(argv)
    bootstrap = os.environ.get("BENCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    procs = []
    medians, p95s = {}, {}
    staff_labels: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as folder:
        try:
            urls = {}
            for service in BACKENDS:
                proc, urls[service] = _start(service, folder, bootstrap, {})
                procs.append(proc)
            portal_env = {f"PORTAL_{s.upper()}_URL": u for s, u in urls.items()}
            portal, url = _start("portal", folder, bootstrap, portal_env)
            procs.append(portal)
            env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{folder}/portal.db", **portal_env}
            login, role, area, name = OFFICER
            added = subprocess.run([sys.executable, "-m", "portal", "officers", "add", "--login", login, "--role",
                                    role, "--area", area, "--name", name], cwd=ROOT, env=env, input=PASSWORD + "\n",
                                   capture_output=True, text=True, timeout=120)
            if added.returncode != 0:
                raise SystemExit(f"could not add the bench officer: {added.stderr[-1000:]}")
            with httpx.Client(base_url=url, timeout=10) as client:
                for label, method, path, form in PAGES:
                    _time(client, label, method, path, form, args.requests, medians, p95s)
            with httpx.Client(base_url=url, timeout=10) as anonymous:
                staff_labels.append("GET /staff/sign-in")
                _time(anonymous, staff_labels[-1], "GET", "/staff/sign-in", None, args.requests, medians, p95s)
            staff = _signed_in(url)
            try:
                case, household = _case_and_household(urls, staff)
                for label, path in (("GET /staff (My work, 5 services)", "/staff"),
                                    ("GET /staff/cases/{id} (case page)", f"/staff/cases/{case}"),
                                    ("GET /staff/households/{id} (household file)", f"/staff/households/{household}")):
                    staff_labels.append(label)
                    _time(staff, label, "GET", path, None, args.requests, medians, p95s)
            finally:
                staff.close()
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
    pages = [label for label, *_ in PAGES if label.startswith("GET")]
    print(f"portal_pages_median_ms={max(medians[p] for p in pages):.1f} "
          f"portal_pages_p95_ms={max(p95s[p] for p in pages):.1f} "
          f"portal_self_check_median_ms={medians[PAGES[-1][0]]:.1f} "
          f"portal_staff_pages_median_ms={max(medians[p] for p in staff_labels):.1f} "
          f"portal_staff_pages_p95_ms={max(p95s[p] for p in staff_labels):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
