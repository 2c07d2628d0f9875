"""Who may do what on the broker: one principal per service and per partner department, and their ACLs.

The table is derived from the code (each service's OWNED_TOPICS and consumer specs, their dead-letter topics, the
partner departments in deploy/kafka/partner-departments.txt) and written to deploy/kafka/acls.json by
`make contracts`; the deploy scripts apply that file, and tests/contract/test_broker_acls.py checks it against the code.

    python -m shared.broker_security export                        # regenerate deploy/kafka/acls.json
    python -m shared.broker_security credentials --secrets DIR     # a random password per principal (missing ones)
    python -m shared.broker_security apply --bootstrap H:P --secrets DIR [--prefix P]   # SCRAM users, ACLs, topics

Principals: `admin` and `broker` are super users (operators' tools, tests' inspection clients, the broker itself);
a service is `<service>` (e.g. `gradual_exit`); a partner department is `partner-<department>`.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from shared.kafka_io import DLT_SUFFIX, TOPIC_CONFIGS, KafkaSecurity, admin_client, ensure_topics

ROOT = Path(__file__).resolve().parent.parent
ACL_FILE = ROOT / "deploy" / "kafka" / "acls.json"
DEPARTMENTS_FILE = ROOT / "deploy" / "kafka" / "partner-departments.txt"
SERVICES = ["discovery", "identification", "assistance", "gradual_exit", "followup", "policy", "oversight", "exchange", "portal"]
SUPER_USERS = ["admin", "broker"]
MECHANISM = "SCRAM-SHA-512"
INBOUND = "partner.signal."  # partner.signal.<department>: written only by that department's principal
DEPARTMENT = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


def partner_departments(path: Path = DEPARTMENTS_FILE) -> list[str]:
    """The partner departments declared for this installation (one per line, # comments)."""
    names = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    names = [n for n in names if n]
    for n in names:
        if not DEPARTMENT.match(n) or n == "signal":
            raise ValueError(f"{path}: {n!r} is not a department name ([a-z][a-z0-9_]*, not 'signal')")
    return names


def inbound_topic(department: str, prefix: str = "") -> str:
    return f"{prefix}{INBOUND}{department}"


def department_of(topic: str, prefix: str = "") -> str | None:
    """The department whose inbound topic this is (None for any other topic, e.g. the legacy partner.signal)."""
    name = topic[len(prefix):] if topic.startswith(prefix) else topic
    if name.startswith(INBOUND):
        return name[len(INBOUND):] or None
    return None


def configured_departments(value: str = "") -> list[str]:
    """A service's `partner_departments` setting (comma-separated), else the installation's declared list."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    return names or partner_departments()


class DepartmentMismatch(ValueError):
    pass


def check_signal_department(declared: str, topic: str | None, prefix: str = "") -> str:
    """The department of a signal read from `topic`: on partner.signal.<department> it is the topic's (only that
    department's principal may write there), and a record naming another department is refused. On the legacy
    partner.signal topic (written by internal principals only) the record's field is taken."""
    department = department_of(topic or "", prefix)
    if department is None:
        return declared
    if declared != department:
        raise DepartmentMismatch(f"source_department: must_match_topic: {declared!r} on {department}'s inbound "
                                 f"topic {topic}")
    return department


def partner_principal(department: str) -> str:
    return f"partner-{department}"


# -- the table ---------------------------------------------------------------------------------------------------
def _service_topics(service: str) -> tuple[list[str], list[str]]:
    """(owned, consumed) topics of a service, unprefixed, from its bootstrap (built without a database or broker)."""
    package_dir = str(ROOT / "services" / service)
    if package_dir not in sys.path:
        sys.path.insert(0, package_dir)
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    config = importlib.import_module(f"{service}.config")
    runtime = bootstrap.build_runtime(config.Settings(database_url="sqlite://", topic_prefix=""))
    owned = sorted(runtime.owned_topics)
    consumed = sorted({t for spec in runtime.consumers for t in spec.topics("")})
    return owned, consumed


def build_table(departments: list[str] | None = None) -> dict:
    """principal -> its permissions, every topic name unprefixed (a prefix is added when the table is applied).

    topics: {name: [operations]} LITERAL; topic_prefixes / group_prefixes: {prefix: [operations]} PREFIXED."""
    departments = partner_departments() if departments is None else departments
    principals: dict[str, dict] = {}
    for service in SERVICES:
        if not (ROOT / "services" / service / service / "bootstrap.py").exists():
            continue
        owned, consumed = _service_topics(service)
        topics: dict[str, set[str]] = {}
        for t in owned:  # it writes its own topics, creates them and their dead-letter topics
            topics.setdefault(t, set()).update({"WRITE", "DESCRIBE", "CREATE"})
            if t in TOPIC_CONFIGS:  # e.g. policy.ruleset is compacted: its owner sets that on an existing topic
                topics[t].update({"DESCRIBE_CONFIGS", "ALTER_CONFIGS"})
            topics.setdefault(t + DLT_SUFFIX, set()).update({"DESCRIBE", "CREATE"})
        for t in consumed:  # it reads what it consumes, dead-letters what it cannot apply; may create both first
            topics.setdefault(t, set()).update({"READ", "DESCRIBE", "CREATE"})
            topics.setdefault(t + DLT_SUFFIX, set()).update({"WRITE", "DESCRIBE", "CREATE"})
        principals[service] = {
            "kind": "service",
            "topics": {t: sorted(ops) for t, ops in sorted(topics.items())},
            "topic_prefixes": {},
            # its consumer groups are <group()>.<spec name>, group() being <prefix><service>
            "group_prefixes": {f"{service}.": ["DESCRIBE", "READ"]},
        }
    for department in departments:
        principals[partner_principal(department)] = {
            "kind": "partner",
            "department": department,
            "topics": {inbound_topic(department): ["DESCRIBE", "WRITE"]},
            # its outbound streams partner.<department>.<stream> (written by the exchange service)
            "topic_prefixes": {f"partner.{department}.": ["DESCRIBE", "READ"]},
            "group_prefixes": {f"partner.{department}.": ["DESCRIBE", "READ"]},
        }
    return {"mechanism": MECHANISM, "super_users": SUPER_USERS, "departments": departments,
            "principals": principals}


def render(table: dict) -> str:
    text = json.dumps({"_comment": "Generated by `make contracts` (python -m shared.broker_security export) from "
                                   "the services' bootstraps and deploy/kafka/partner-departments.txt; do not edit.",
                       **table}, indent=2, ensure_ascii=False) + "\n"
    # a list of operations on one line: one line per resource
    return re.sub(r'\[\s*((?:"[^"]*",?\s*)*)\]', lambda m: "[" + ", ".join(re.findall(r'"[^"]*"', m.group(1))) + "]",
                  text)


def load_table(path: Path = ACL_FILE) -> dict:
    table = json.loads(path.read_text(encoding="utf-8"))
    table.pop("_comment", None)
    return table


# -- credentials ------------------------------------------------------------------------------------------------
def all_principals(table: dict) -> list[str]:
    return list(table["super_users"]) + list(table["principals"])


def password_file(secrets_dir: Path, principal: str) -> Path:
    return Path(secrets_dir) / f"{principal}.password"


def make_credentials(secrets_dir: Path, table: dict) -> list[str]:
    """A random password (192 bits, hex) for every principal that has none yet; files readable by the owner only."""
    secrets_dir = Path(secrets_dir)
    secrets_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(secrets_dir, 0o700)
    made = []
    for principal in all_principals(table):
        path = password_file(secrets_dir, principal)
        if path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(24) + "\n")
        made.append(principal)
    return made


def read_password(secrets_dir: Path, principal: str) -> str:
    return password_file(secrets_dir, principal).read_text().strip()


def client_security(secrets_dir: Path, principal: str, protocol: str = "SASL_PLAINTEXT",
                    cafile: str | None = None) -> KafkaSecurity:
    return KafkaSecurity(protocol=protocol, mechanism=MECHANISM, username=principal,
                         password_file=str(password_file(secrets_dir, principal)), cafile=cafile)


# -- applying the table -------------------------------------------------------------------------------------------
def acl_bindings(table: dict, prefix: str = "", principals: list[str] | None = None) -> list:
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern, ResourceType

    acls = []
    for principal, perms in table["principals"].items():
        if principals is not None and principal not in principals:
            continue
        for kind, pattern, rtype in (("topics", ACLResourcePatternType.LITERAL, ResourceType.TOPIC),
                                     ("topic_prefixes", ACLResourcePatternType.PREFIXED, ResourceType.TOPIC),
                                     ("group_prefixes", ACLResourcePatternType.PREFIXED, ResourceType.GROUP)):
            for name, ops in perms.get(kind, {}).items():
                for op in ops:
                    acls.append(ACL(principal=f"User:{principal}", host="*", operation=ACLOperation[op],
                                    permission_type=ACLPermissionType.ALLOW,
                                    resource_pattern=ResourcePattern(rtype, prefix + name, pattern)))
    return acls


def apply(bootstrap: str, admin: KafkaSecurity, secrets_dir: Path, table: dict, prefix: str = "",
          users: bool = True, topics: bool = True, timeout_s: float = 60.0) -> None:
    """Creates (or updates) every principal's SCRAM credential, its ACLs for this topic prefix, and the partners'
    inbound topics. Idempotent: run again after adding a department."""
    from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            client = admin_client(bootstrap, admin)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        if users:
            upserts = [UserScramCredentialUpsertion(p, ScramMechanism.SCRAM_SHA_512, read_password(secrets_dir, p))
                       for p in all_principals(table) if p != "broker"]
            client.alter_user_scram_credentials(upserts)
        client.create_acls(acl_bindings(table, prefix))
    finally:
        client.close()
    if topics and table["departments"]:
        ensure_topics(bootstrap, [inbound_topic(d, prefix) for d in table["departments"]], security=admin)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["export", "credentials", "apply", "principals"])
    parser.add_argument("--secrets", type=Path, help="the directory of the installation's password files")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--protocol", default="SASL_PLAINTEXT", choices=["SASL_PLAINTEXT", "SASL_SSL"])
    parser.add_argument("--cafile", help="the CA of the broker's certificate (SASL_SSL)")
    parser.add_argument("--prefix", default="", help="topic prefix the ACLs are for (tests, tenants)")
    args = parser.parse_args(argv)
    if args.command == "export":
        ACL_FILE.write_text(render(build_table()), encoding="utf-8")
        print(f"wrote {ACL_FILE.relative_to(ROOT)}")
        return
    table = load_table()
    if args.command == "principals":
        print("\n".join(all_principals(table)))
        return
    if not args.secrets:
        parser.error("--secrets DIR is required")
    if args.command == "credentials":
        made = make_credentials(args.secrets, table)
        print(f"{len(made)} new credential(s) in {args.secrets}")
        return
    apply(args.bootstrap, client_security(args.secrets, "admin", args.protocol, args.cafile), args.secrets, table,
          args.prefix)
    print(f"{len(table['principals'])} principal(s) and their ACLs applied on {args.bootstrap}"
          + (f" for prefix {args.prefix}" if args.prefix else ""))


if __name__ == "__main__":
    main()
