"""Contract tests: schemas are valid, every example validates, AsyncAPI lists every schema and topic, OpenAPI has not drifted."""
import json
from pathlib import Path

import pytest
import yaml

from shared.contracts import ContractRegistry, ContractViolation, contracts_dir
from shared.envelope import Event
from tests.services import SERVICES

ROOT = contracts_dir()
SCHEMAS = sorted((ROOT / "events").glob("*.schema.json"))
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def test_there_is_an_example_for_every_schema_and_a_schema_for_every_example():
    names = {p.name.replace(".schema.json", "") for p in SCHEMAS}
    assert names == {p.stem for p in EXAMPLES}
    assert names, "no event contracts found"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates(path):
    ContractRegistry().validate(json.loads(path.read_text(encoding="utf-8")))


def test_an_invalid_payload_is_refused_with_the_path_and_rule():
    example = json.loads((ROOT / "examples" / "discovery.application.submitted.v1.json").read_text(encoding="utf-8"))
    example["data"]["members"][0]["id_number"] = "123"
    with pytest.raises(ContractViolation) as exc:
        ContractRegistry().validate(example)
    assert exc.value.path == "data/members/0/id_number" and exc.value.rule == "pattern"


def test_an_envelope_without_subject_is_refused():
    example = json.loads((ROOT / "examples" / "identification.case.opened.v1.json").read_text(encoding="utf-8"))
    del example["subject"]
    with pytest.raises(ContractViolation) as exc:
        ContractRegistry().validate(example)
    assert exc.value.rule == "required"


def test_event_built_by_the_library_is_a_valid_cloudevent():
    example = json.loads((ROOT / "examples" / "identification.case.opened.v1.json").read_text(encoding="utf-8"))
    event = Event(type="identification.case.opened", source="/services/identification", subject="h-1", data=example["data"])
    envelope = event.envelope()
    ContractRegistry().validate(envelope)
    assert envelope["specversion"] == "1.0" and envelope["subject"] == "h-1"
    assert envelope["correlationid"] == event.id and envelope["dataschema"].endswith("identification.case.opened:1")


def _asyncapi() -> dict:
    return yaml.safe_load((ROOT / "asyncapi.yaml").read_text(encoding="utf-8"))


def test_asyncapi_describes_every_event_and_its_files_exist():
    doc = _asyncapi()
    assert doc["asyncapi"].startswith("3.")
    messages = doc["components"]["messages"]
    for schema in SCHEMAS:
        event_type = schema.name.rsplit(".v", 1)[0]
        assert event_type in messages, f"{event_type} missing from asyncapi.yaml"
        ref = messages[event_type]["payload"]["schema"]["$ref"]
        assert (ROOT / ref).resolve() == schema.resolve()
        for example in messages[event_type]["examples"]:
            assert (ROOT / example["payload"]["$ref"]).exists()
    senders = {op["x-sender"] for op in doc["operations"].values() if op["action"] == "send"}
    assert senders <= {"discovery", "identification", "assistance", "gradual_exit", "followup", "policy", "oversight",
                       "exchange", "portal", "partner"}  # the portal sends portal.access.recorded


def test_asyncapi_is_generated_from_the_catalog_and_schemas():
    from tests.contract.export_asyncapi import build
    assert _asyncapi() == build(), "contracts/asyncapi.yaml is stale: run `make contracts` and commit"


def test_asyncapi_channels_cover_every_topic_the_services_own_and_their_dlts():
    import importlib
    channels = _asyncapi()["channels"]
    for service in SERVICES:
        for topic in importlib.import_module(f"{service}.bootstrap").OWNED_TOPICS:
            assert topic in channels and topic + ".dlt" in channels
    for name, channel in channels.items():
        if name.startswith("partner.signal.{department}"):  # each department's inbound topic (broker security)
            continue
        for message in channel["messages"].values():
            event_type = message["$ref"].rsplit("/", 1)[-1]
            assert name.removesuffix(".dlt") == ".".join(event_type.split(".")[:2]), f"{event_type} on wrong topic {name}"


@pytest.mark.parametrize("service", SERVICES)
def test_exported_openapi_equals_the_running_app(service):
    from tests.contract.export_openapi import current_openapi
    exported = Path(ROOT / "openapi" / f"{service}.json")
    assert exported.exists(), f"run `make openapi` to export {exported}"
    assert json.loads(exported.read_text(encoding="utf-8")) == current_openapi(service), \
        f"contracts/openapi/{service}.json differs from the app: run `make openapi` and commit"


def _mutations(instance: dict):
    """Single-field breakages of a valid envelope, to check both validators refuse the same things."""
    import copy
    yield "drop subject", (lambda e: e.pop("subject"))
    yield "bad specversion", (lambda e: e.__setitem__("specversion", "0.3"))
    yield "bad time", (lambda e: e.__setitem__("time", "yesterday"))
    for key, value in instance["data"].items():
        yield f"data.{key}=None", (lambda e, k=key: e["data"].__setitem__(k, None))
        yield f"data.{key}={{}}", (lambda e, k=key: e["data"].__setitem__(k, {"x": 1}))
    yield "extra data field", (lambda e: e["data"].__setitem__("unexpected", 1))
    del copy


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_fast_and_reference_validators_agree(path):
    """fastjsonschema (hot path) and jsonschema (error detail) must judge every instance alike."""
    import copy
    registry = ContractRegistry()
    example = json.loads(path.read_text(encoding="utf-8"))
    schema = registry._by_urn[example["dataschema"]]
    for name, mutate in _mutations(example):
        broken = copy.deepcopy(example)
        mutate(broken)
        for contract, instance in ((registry._envelope, broken), (schema, broken.get("data"))):
            fast_ok = True
            try:
                contract.fast(instance)
            except Exception:
                fast_ok = False
            reference_ok = not any(True for _ in contract.validator.iter_errors(instance))
            assert fast_ok == reference_ok, f"{name}: fastjsonschema={fast_ok} jsonschema={reference_ok}"
