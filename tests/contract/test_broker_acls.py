"""The broker's principal -> permissions table (deploy/kafka/acls.json, applied by deploy/kafka.sh) is the code's:
each service writes exactly the topics it owns, reads what its consumers consume, dead-letters into <topic>.dlt of
what it consumes, and every partner department writes only its own inbound topic and reads only its own streams.
Regenerate with `make contracts` when a service's topics or the departments change."""
from shared import broker_security as bs
from shared.kafka_io import DLT_SUFFIX


def test_the_committed_table_is_the_one_the_code_declares():
    assert bs.render(bs.build_table()) == bs.ACL_FILE.read_text(encoding="utf-8"), \
        "deploy/kafka/acls.json is stale: run `make contracts` (python -m shared.broker_security export)"


def test_only_an_owner_writes_a_topic_and_every_consumer_reads_it():
    table = bs.build_table()
    services = {p: v for p, v in table["principals"].items() if v["kind"] == "service"}
    for principal, perms in services.items():
        owned, consumed = bs._service_topics(principal)
        writes = {t for t, ops in perms["topics"].items() if "WRITE" in ops}
        reads = {t for t, ops in perms["topics"].items() if "READ" in ops}
        assert writes == set(owned) | {t + DLT_SUFFIX for t in consumed}, principal
        assert reads == set(consumed), principal
        for topic in owned:  # topics are <owner>.<aggregate>: nobody else writes them
            if principal == "exchange" and topic.startswith("partner.") and not topic.startswith(bs.INBOUND):
                continue  # exchange owns the outbound partner.<department>.<stream> topics (checked below)
            assert topic.split(".")[0] == principal
        assert not perms["topic_prefixes"], "a service has no wildcard on topics"
        assert list(perms["group_prefixes"]) == [f"{principal}."]
    for principal, perms in services.items():
        for other, theirs in services.items():
            if other != principal:
                assert not {t for t in perms["topics"] if not t.endswith(DLT_SUFFIX) and "WRITE" in perms["topics"][t]} \
                    & {t for t, ops in theirs["topics"].items() if "WRITE" in ops and not t.endswith(DLT_SUFFIX)}


def test_a_partner_writes_only_its_inbound_topic_and_reads_only_its_own_streams():
    table = bs.build_table()
    assert table["departments"] == bs.partner_departments()
    for department in table["departments"]:
        perms = table["principals"][bs.partner_principal(department)]
        assert perms["topics"] == {f"partner.signal.{department}": ["DESCRIBE", "WRITE"]}
        assert perms["topic_prefixes"] == {f"partner.{department}.": ["DESCRIBE", "READ"]}
        assert perms["group_prefixes"] == {f"partner.{department}.": ["DESCRIBE", "READ"]}
    # discovery and followup consume every department's inbound topic
    for service in ("discovery", "followup"):
        reads = {t for t, ops in table["principals"][service]["topics"].items() if "READ" in ops}
        assert {f"partner.signal.{d}" for d in table["departments"]} <= reads


def test_the_topic_says_the_department_of_a_signal():
    assert bs.check_signal_department("education", "t1.partner.signal.education", "t1.") == "education"
    assert bs.check_signal_department("education", "partner.signal", "") == "education"  # legacy: internal writers
    try:
        bs.check_signal_department("housing", "partner.signal.education")
    except bs.DepartmentMismatch as exc:
        assert "must_match_topic" in str(exc)
    else:
        raise AssertionError("a record naming another department than its topic's must be refused")


def test_every_service_of_the_tree_has_a_principal():
    from tests.services import SERVICES
    assert sorted(bs.SERVICES) == sorted(SERVICES), "a new service needs its place in shared.broker_security.SERVICES"


def test_exchange_writes_each_agreements_stream_and_only_that_department_reads_it():
    import sys
    sys.path.insert(0, str(bs.ROOT / "services" / "exchange"))
    from exchange.bootstrap import AGREEMENTS_DIR
    from exchange.domain.agreements import load_agreements
    table = bs.build_table()
    exchange = table["principals"]["exchange"]["topics"]
    for agreement in load_agreements(AGREEMENTS_DIR):
        topic = agreement.topic()
        assert "WRITE" in exchange[topic], topic
        readers = [p for p, perms in table["principals"].items()
                   if any(topic.startswith(prefix) and "READ" in ops for prefix, ops in perms["topic_prefixes"].items())
                   or "READ" in perms["topics"].get(topic, [])]
        assert readers == [bs.partner_principal(agreement.department)], topic
