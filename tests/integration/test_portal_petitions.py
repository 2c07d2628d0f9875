"""The petition pages of the portal against the real oversight process (real broker and PostgreSQL): a citizen files
a 漏保 petition through the portal's form (an error from oversight's 422 first, in Chinese, beside its field), gets the
tracking number and the secret, reads the status; the township handler's queue shows it, the handler accepts and
replies through the functions the staff routes call, and the citizen's status page shows the reply."""
from __future__ import annotations

import os
import re

import httpx
from fastapi.testclient import TestClient

from portal import petitions
from portal.clients import ServiceClient, ServiceClients
from portal.staff.session import Officer
from shared.config import DEV_JWT_SECRET
from tests.fixtures import free_port, service_env

VILLAGE = "530102001001"
TOWNSHIP = VILLAGE[:9]
HANDLER = Officer(subject="twp-petitions", role="township", area=TOWNSHIP, name="赵乡")


def test_a_citizen_files_a_petition_in_the_portal_and_the_handler_accepts_and_replies(
        kafka_bootstrap, databases, topic_prefix, processes, monkeypatch):
    oversight = processes("oversight", "api", service_env("oversight", databases.create("oversight"),
                                                          kafka_bootstrap, topic_prefix))
    monkeypatch.setenv("PORTAL_OVERSIGHT_URL", oversight.url)
    monkeypatch.setenv("PORTAL_DATABASE_URL", databases.create("portal"))
    nowhere = f"http://127.0.0.1:{free_port()}"
    for name in ("discovery", "identification", "assistance", "gradual_exit", "followup"):
        monkeypatch.setenv(f"PORTAL_{name.upper()}_URL", nowhere)
    from portal.main import create_app
    with TestClient(create_app(start_workers=False)) as portal:
        form = portal.get("/petitions/new")
        assert form.status_code == 200 and "漏保" in form.text
        key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
        base = {"idempotency_key": key, "category": "wrongly_missed", "division-0": VILLAGE[:2] + "0000",
                "division-1": VILLAGE[:4] + "00", "division-2": VILLAGE[:6], "division-3": TOWNSHIP,
                "division_code": VILLAGE, "contact_name": "王五", "contact_phone": "13800000000",
                "a-0-name": "照片.jpg", "a-0-size": "120"}
        short = portal.post("/petitions/new", data=base | {"description": "太短"})
        assert short.status_code == 422, short.text
        assert 'href="#description"' in short.text and 'id="description-error"' in short.text
        done = portal.post("/petitions/new", data=base | {"description": "村里的张大爷独居，没有收入，生病多年，一直没有纳入低保。"})
        assert done.status_code == 200, done.text
        number = re.search(r'id="tracking-number">([^<]+)<', done.text).group(1)
        secret = re.search(r'id="petition-secret">([^<]+)<', done.text).group(1)
        assert 'id="keep-secret"' in done.text

        status = portal.post("/petitions/status", data={"tracking_number": number, "petition_secret": secret})
        assert status.status_code == 200 and "已登记，待决定是否受理" in status.text and 'id="acceptance-due"' in status.text
        wrong = portal.post("/petitions/status", data={"tracking_number": number, "petition_secret": "wrong"})
        assert wrong.status_code == 404 and 'id="petition-not-found"' in wrong.text

        secret_key = os.environ.get("OVERSIGHT_JWT_SECRET", DEV_JWT_SECRET)
        clients = ServiceClients.from_settings(portal.app.state.runtime.settings)
        authorization = HANDLER.authorization(secret_key)
        queue = petitions.load_queue(clients, authorization, status="filed")
        assert queue.ok, queue.body
        [item] = [p for p in queue.body["items"] if p["tracking_number"] == number]
        assert item["allowed_steps"] == ["accept", "decline"] and item["contact"]["name"] == "王五"
        assert item["attachments"] == [{"name": "照片.jpg", "size_bytes": 122880}]

        early = petitions.send_step(clients, authorization, item["petition_id"], "reply",
                                    {"reply-reply": "经核实情况属实，已经处理完毕。"})
        assert early.answer.status == 409 and not early.errors  # a filed petition cannot be replied to yet
        accepted = petitions.send_step(clients, authorization, item["petition_id"], "accept", {"accept-reason": "属实"})
        assert accepted.ok, accepted.answer.body
        assert accepted.answer.body["status"] == "accepted" and accepted.answer.body["reply_due_on"]
        bad = petitions.send_step(clients, authorization, item["petition_id"], "reply", {"reply-reply": "好"})
        assert bad.answer.status == 422 and bad.errors[0].field == "reply-reply" and bad.errors[0].message_zh
        replied = petitions.send_step(clients, authorization, item["petition_id"], "reply",
                                      {"reply-reply": "经核实，张大爷符合低保条件，村委会已协助其提出申请。"})
        assert replied.ok and replied.answer.body["status"] == "replied"

        after = portal.post("/petitions/status?lang=en", data={"tracking_number": number, "petition_secret": secret})
        assert after.status_code == 200 and "Replied" in after.text and "张大爷符合低保条件" in after.text
        assert 'id="petition-reply"' in after.text

        other = Officer(subject="twp-other", role="township", area="530102002").authorization(secret_key)
        hidden = petitions.load_petition(clients, other, item["petition_id"])
        assert hidden.status == 404
    assert httpx.get(oversight.url + "/health", timeout=5).status_code in (200, 404)
