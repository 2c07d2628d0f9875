"""discovery's migrations on real PostgreSQL: with 0002 applications taken before it become households with one
record each, and it can be undone; 0005 lets a clue be about a whole household (no ID number), undone too."""
import uuid
from datetime import datetime, timezone

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from shared.synthetic import HouseholdFactory
from tests.fixtures import ROOT


def alembic(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "services" / "discovery" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def test_applications_before_0002_become_households_with_one_record(databases, pg_server_url):
    name = f"t_discovery_mig_{uuid.uuid4().hex[:8]}"
    with databases.admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    databases.created.append(name)
    url = f"{pg_server_url.rstrip('/')}/{name}"
    command.upgrade(alembic(url), "0001")
    engine = create_engine(url)
    body = HouseholdFactory(5).application_body(division="530102001001", size=2)
    household, at = str(uuid.uuid4()), datetime(2026, 3, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        for application_id in ("a-1", "a-2"):  # the same household applied twice
            conn.execute(text("""INSERT INTO applications (id, household_id, channel, status, division_code,
                applicant_name, applicant_id_number, household_monthly_income_yuan, hardship_reason,
                consent_to_data_check, submitted_at) VALUES (:id, :h, 'online', 'submitted', '530102001001', :name,
                :number, 800, 'illness', true, :at)"""), {"id": application_id, "h": household, "at": at,
                                                          "name": body["applicant"]["name"],
                                                          "number": body["applicant"]["id_number"]})
            for position, m in enumerate(body["members"]):
                conn.execute(text("INSERT INTO application_members VALUES (:a, :p, :n, :i, :r)"),
                             {"a": application_id, "p": position, "n": m["name"], "i": m["id_number"],
                              "r": m["relationship"]})
    try:
        command.upgrade(alembic(url), "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, lifecycle_status FROM households")).all() == [(household, "referred")]
            assert conn.execute(text("SELECT count(*) FROM household_members WHERE household_id = :h"),
                                {"h": household}).scalar_one() == 2
            assert conn.execute(text("SELECT id, status FROM discovery_records")).all() == [(household, "referred")]
            assert conn.execute(text("SELECT DISTINCT record_id FROM applications")).scalars().all() == [household]
            assert conn.execute(text("SELECT count(*) FROM application_timeline WHERE status = 'submitted'")).scalar_one() == 2
        command.downgrade(alembic(url), "0001")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM applications")).scalar_one() == 2
            assert conn.execute(text("SELECT to_regclass('households')")).scalar_one() is None
    finally:
        engine.dispose()


def test_0005_lets_a_clue_be_about_the_whole_household_and_its_downgrade_keeps_the_clue(databases, pg_server_url):
    name = f"t_discovery_mig_{uuid.uuid4().hex[:8]}"
    with databases.admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    databases.created.append(name)
    url = f"{pg_server_url.rstrip('/')}/{name}"
    command.upgrade(alembic(url), "0005")
    engine = create_engine(url)
    at = datetime(2026, 6, 1, tzinfo=timezone.utc)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO households (id, division_code, lifecycle_status, programmes, opened_at, "
                              "updated_at) VALUES ('h-1', '530102001001', 'in_discovery', '[]', :at, :at)"), {"at": at})
            conn.execute(text("""INSERT INTO clues (id, household_id, source_department, external_id, channel, kind,
                rule_id, rule_version, severity, id_number, division_code, occurred_on, evidence, explanation_en,
                explanation_zh, status, raised_at, updated_at) VALUES ('c-1', 'h-1', 'identification', 'r-1', 'topic',
                'reassessment', 'reassessment.newly_eligible', '53-v3', 'high', NULL, '530102001001', '2026-06-01',
                '{}', 'en', 'zh', 'raised', :at, :at)"""), {"at": at})
        command.downgrade(alembic(url), "0004")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, id_number FROM clues")).all() == [("c-1", "")]
    finally:
        engine.dispose()
