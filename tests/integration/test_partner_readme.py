"""The README's "For partner departments" section, run as written: a partner principal reads its own stream with
kcat (deploy/kcat.sh) and with kafka-python, and kcat is refused another department's stream. The stream is filled by
the real exchange service from internal events on the real broker with SASL and ACLs."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from exchange.bootstrap import build_runtime
from exchange.config import Settings
from exchange.models import Household
from shared.clock import FixedClock
from shared.envelope import Event
from shared.kafka_io import topic_for
from tests.fixtures import KAFKA_PROTOCOL, KAFKA_SECRETS, envelopes, read_topic, wait_until

ROOT = Path(__file__).resolve().parents[2]
VILLAGE = "530102001001"

pytestmark = pytest.mark.skipif(KAFKA_PROTOCOL != "SASL_PLAINTEXT",
                                reason="the section is about the guarded broker (make test runs one by default)")


def readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- " + re.escape(marker) + r" -->\s*```(?:sh|python)\n(.*?)```", text, re.S)
    assert found, f"README has no block after <!-- {marker} -->"
    return "\n".join(line[3:] if line.startswith("   ") else line for line in found.group(1).splitlines())


def resident_id(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


def test_a_partner_reads_its_stream_with_kcat_and_kafka_python_and_is_refused_another(
        databases, kafka_bootstrap, topic_prefix, producer):
    runtime = build_runtime(Settings(database_url=databases.create("exchange"), kafka_bootstrap=kafka_bootstrap,
                                     topic_prefix=topic_prefix, relay_idle_seconds=0.05),
                            clock=FixedClock(datetime(2026, 12, 15, 2, tzinfo=timezone.utc)))
    runtime.ensure_topics()
    runtime.start_workers()
    try:
        hid = f"hh-{uuid.uuid4().hex[:8]}"
        members = [{"name": "李四", "id_number": resident_id("53010219800101001"), "relationship": "self"}]
        application = Event(type="discovery.application.submitted", source="/services/discovery", subject=hid, data={
            "application_id": f"a-{hid}", "household_id": hid, "channel": "online",
            "submitted_at": "2026-11-29T08:30:00Z", "division_code": VILLAGE, "applicant": members[0],
            "members": members, "household_monthly_income_yuan": 800.0, "hardship_reason": "illness",
            "hardship_description": "长期患病", "consent_to_data_check": True})
        producer.send(topic_prefix + topic_for(application.type), key=hid.encode(), value=application.to_bytes())
        producer.flush(timeout=20)

        def in_roster():
            with runtime.session_factory() as session:
                return session.get(Household, hid) is not None
        wait_until(in_roster, timeout=60, interval=0.3, message="the household in exchange's roster")
        enrolled = Event(type="identification.household.enrolled", source="/services/identification", subject=hid,
                         data={"case_id": f"c-{hid}", "household_id": hid, "file_number": "530102-2026-000009",
                               "division_code": VILLAGE, "programmes": ["dibao"], "categories": {},
                               "rule_version": "CN-2026.1", "enrolled_at": "2026-12-15T01:00:00Z", "member_count": 1,
                               "per_capita_monthly_income_yuan": 800.0, "scores": {"income": 70}})
        producer.send(topic_prefix + topic_for(enrolled.type), key=hid.encode(), value=enrolled.to_bytes())
        producer.flush(timeout=20)
        stream = topic_prefix + "partner.medical_insurance.enrolments"
        wait_until(lambda: [e for e in envelopes(read_topic(kafka_bootstrap, stream)) if e["subject"] == hid],
                   timeout=60, message="the enrolment on medical insurance's stream")
    finally:
        runtime.stop_workers()

    env = {**os.environ, "KAFKA": kafka_bootstrap, "TOPIC_PREFIX": topic_prefix,
           "PW_FILE": str(Path(KAFKA_SECRETS) / "partner-medical_insurance.password")}
    kcat = subprocess.run(["bash", "-c", readme_block("partner-kcat")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert kcat.returncode == 0, kcat.stderr
    line = next(l for l in kcat.stdout.splitlines() if l.startswith(hid + " "))
    assert members[0]["id_number"] in line and "partner.medical_insurance.enrolments.household_enrolled" in line
    assert "800" not in line.split(" ", 1)[1].replace(members[0]["id_number"], "")  # no income on this stream

    refused = subprocess.run(["bash", "-c", readme_block("partner-kcat-refused")], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    print("kcat (own stream):", kcat.stdout, "kcat (another department's):", refused.stderr, sep="\n")  # for -s runs
    assert refused.returncode != 0
    assert "Topic authorization failed" in refused.stderr + refused.stdout, refused.stderr

    python = subprocess.run([sys.executable, "-c", readme_block("partner-python")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert python.returncode == 0, python.stderr
    assert f"partner.medical_insurance.enrolments.household_enrolled {hid} ['{members[0]['id_number']}']" \
        in python.stdout, python.stdout
