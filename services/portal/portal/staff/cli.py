"""`python -m portal officers add|seed-demo`: officers' accounts from the command line.

`add` creates one account; its password is read from standard input (one line; asked without echo on a terminal)
or, when none is given, generated and printed once. `seed-demo` creates one demo officer per level for the Kunming
Wuhua test areas with passwords generated on this installation, leaves existing accounts as they are, and keeps
the logins and passwords in var/portal-demo-officers.txt (mode 600; var/ is never committed). It refuses unless
the portal runs as a development or training setup: a production portal never gets an account whose password
sits in a file."""
from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from pathlib import Path

from portal.staff.accounts import AccountError
from shared.unit_of_work import transaction

DEMO_FILE = "var/portal-demo-officers.txt"
# (login, role, area, display name): one per level, nested, so a case in the village is seen by all three
DEMO_OFFICERS = (
    ("demo-village", "village", "530102001001", "演示村级工作人员 Demo village officer"),
    ("demo-township", "township", "530102001", "演示乡镇工作人员 Demo township officer"),
    ("demo-county", "county", "530102", "演示县级工作人员 Demo county officer"),
)


def generated_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits


def read_password(stdin=None) -> str:
    stdin = stdin or sys.stdin
    if stdin.isatty():
        return getpass.getpass("password (empty: generate one): ")
    return stdin.readline().rstrip("\r\n")


def add(runtime, args, out=None) -> int:
    out = out or sys.stdout
    password = read_password()
    generated = not password
    if generated:
        password = generated_password()
    directory = runtime.services.staff
    try:
        transaction(runtime, lambda s: directory.create_account(
            s, login=args.login, role=args.role, area=args.area, name=args.name, password=password))
    except AccountError as exc:
        print(f"refused: {exc} ({exc.field}: {exc.rule})", file=sys.stderr)
        return 2
    print(f"created {args.role} officer {args.login.strip().lower()} for area {args.area}", file=out)
    if generated:
        print(f"password (shown once, not stored anywhere): {password}", file=out)
    return 0


def demo_problem(settings) -> str | None:
    if settings.dev_token_issuer or settings.training_mode:
        return None
    return (f"seed-demo creates accounts whose passwords are written to a file, which only belongs on a development "
            f"or training machine: it needs {settings.env_name('dev_token_issuer')}=true or "
            f"{settings.env_name('training_mode')}=true (as `make run` sets); on a real installation add each "
            f"officer with `python -m portal officers add` (演示账号只能在开发或培训环境中创建)")


def read_demo_file(path: Path) -> dict[str, str]:
    known: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 4 and not line.startswith("#"):
                known[parts[1]] = parts[2]
    return known


def write_demo_file(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ("# demo officers of this installation (python -m portal officers seed-demo): role login password area\n"
            + "".join(line + "\n" for line in lines))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)  # also when the file existed with wider rights


def seed_demo(runtime, args, out=None) -> int:
    out = out or sys.stdout
    problem = demo_problem(runtime.settings)
    if problem:
        print(f"refused: {problem}", file=sys.stderr)
        return 2
    path = Path(args.file)
    known = read_demo_file(path)
    directory = runtime.services.staff
    lines = []
    for login, role, area, name in DEMO_OFFICERS:
        def work(session, login=login, role=role, area=area, name=name):
            if directory.account(session, login) is not None:
                return None
            password = generated_password()
            directory.create_account(session, login=login, role=role, area=area, name=name, password=password)
            return password
        created = transaction(runtime, work)
        password = created or known.get(login, "(unchanged;not-in-file)")
        lines.append(f"{role:<9} {login:<14} {password:<24} {area}")
    write_demo_file(path, lines)
    for line in lines:
        print(line, file=out)
    return 0


def main(argv: list[str], runtime_factory) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal officers")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("add", help="create one officer's account (password from stdin, or generated)")
    one.add_argument("--login", required=True)
    one.add_argument("--role", required=True, choices=["village", "township", "county"])
    one.add_argument("--area", required=True,
                     help="division-code prefix: 12 digits (village), 9 (township), 6 (county)")
    one.add_argument("--name", required=True, help="the name shown on pages and in the audit trail")
    demo = commands.add_parser("seed-demo", help="one demo officer per level (development and training only)")
    demo.add_argument("--file", default=DEMO_FILE, help="where the demo logins and passwords are kept (mode 600)")
    args = parser.parse_args(argv)
    runtime = runtime_factory()
    runtime.migrate()
    return add(runtime, args) if args.command == "add" else seed_demo(runtime, args)
