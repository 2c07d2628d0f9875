"""The README's walkthrough works as written: its shell blocks, run in order by bash against the six services as
processes in training mode (as `make run` starts them; real broker, PostgreSQL), make only calls that succeed and
take the case from application to enrolment, past the notice on the training clock, a partner signal to a referral,
and a province's new dibao standard through draft, preview, approval and its date to a re-assessment."""
import os
import re
import subprocess

import httpx

from tests.fixtures import service_env, wait_until
from tests.services import ROOT, SERVICES

README_PORTS = {"discovery": 8001, "identification": 8002, "assistance": 8003, "gradual_exit": 8004, "followup": 8005,
                "policy": 8006}

# Every curl the walkthrough makes goes through this, so the test sees each status code without changing the text.
CURL_RECORDER = r'''
curl() {
  local body code
  body=$(mktemp)
  code=$(command curl -s -o "$body" -w '%{http_code}' "$@") || code=000
  cat "$body"; rm -f "$body"
  local method=GET args=("$@") n
  for ((n = 0; n < ${#args[@]}; n++)); do [ "${args[n]}" = "-X" ] && method="${args[n+1]}"; done
  local url; url=$(printf '%s\n' "$@" | grep -m1 '^http')
  # an `until curl ...` loop waits for something an event brings: its 404s are the waiting, not a failure
  if [[ -n ${POLL:-} && $code == 404 ]]; then echo "poll $code $method $url" >> "$CURL_LOG"; return 1; fi
  echo "$code $method $url" >> "$CURL_LOG"
  # any other failed call ends the whole walkthrough at once (also from inside $(...) and `until` loops)
  [[ $code == 2* ]] || { echo "curl answered $code: $*" >&2; kill -TERM $$; }
}
'''


def walkthrough_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## How to call it"):text.index("## Configuration")]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def test_every_command_of_the_readme_walkthrough_works_as_written(kafka_bootstrap, databases, topic_prefix, processes,
                                                                 tmp_path):
    blocks = walkthrough_blocks()
    assert len(blocks) >= 5 and all("127.0.0.1:800" not in b for b in blocks[1:]), "URLs are set once, in the first"
    training = {"training_mode": "true", "dev_token_issuer": "true", "training_clock_file": str(tmp_path / "clock.json")}
    urls = {}
    for service in SERVICES:
        proc = processes(service, "api", service_env(service, databases.create(service), kafka_bootstrap, topic_prefix,
                                                     **training))
        urls[service] = proc.url
    script = "\n".join(blocks).replace("until curl ", "until POLL=1 curl ")
    for service, port in README_PORTS.items():
        script = script.replace(f"http://127.0.0.1:{port}", urls[service])
    log = tmp_path / "curl.log"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", CURL_RECORDER + script +
                           '\necho "RESULT CASE=$CASE HOUSEHOLD=$HOUSEHOLD CLUE=$CLUE"'],
                          env={**os.environ, "CURL_LOG": str(log)}, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    calls = log.read_text().splitlines() if log.exists() else []
    assert done.returncode == 0, f"{done.stderr[-3000:]}\n{done.stdout[-3000:]}\ncalls: {calls}"
    failed = [c for c in calls if not c.startswith(("2", "poll 404 GET"))]
    assert failed == [], failed
    assert len(calls) >= 30, calls
    assert any(c.split()[1:3] == ["POST", urls["identification"] + "/dev/clock"] for c in calls), "uses the clock"

    result = dict(kv.split("=", 1) for kv in done.stdout.rsplit("RESULT ", 1)[1].split())
    admin = {"Authorization": "Bearer " + httpx.post(urls["identification"] + "/dev/tokens", json={
        "subject": "checker", "role": "admin", "area": ""}).json()["access_token"]}
    case = httpx.get(f"{urls['identification']}/api/v1/cases/{result['CASE']}", headers=admin).json()
    assert case["status"] == "enrolled" and case["file_number"]
    assert [o["status"] for o in case["objections"]] == ["dismissed"]
    assert case["household_id"] == result["HOUSEHOLD"]
    clue = httpx.get(f"{urls['discovery']}/api/v1/clues/{result['CLUE']}", headers=admin).json()
    assert clue["status"] == "referred", clue
    wait_until(lambda: httpx.get(f"{urls['discovery']}/api/v1/households/{result['HOUSEHOLD']}",
                                 headers=admin).json()["lifecycle_status"] == "enrolled",
               timeout=60, message="discovery to show the enrolment")
