"""Signs a staff, partner or admin token with the configured secret, for deployments without the development
token issuer (docker compose, production): `python -m shared.tokens issue --role county --area 530102`.

The secret is read from the environment, never from the command line (where `ps` would show it): JWT_SECRET, or
else the first <SERVICE>_JWT_SECRET that is set (in a compose container, the service's own)."""
from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

from shared.auth import ROLES, issue_token
from shared.config import DEV_JWT_SECRET

SERVICE_PREFIXES = ("DISCOVERY_", "IDENTIFICATION_", "ASSISTANCE_", "GRADUAL_EXIT_", "FOLLOWUP_")


def configured_secret(environ=os.environ) -> tuple[str, str]:
    """(secret, the variable it came from)."""
    for name in ("JWT_SECRET", *(p + "JWT_SECRET" for p in SERVICE_PREFIXES)):
        if environ.get(name):
            return environ[name], name
    return DEV_JWT_SECRET, "the development default"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.tokens", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    issue = sub.add_parser("issue", help="print a signed bearer token")
    issue.add_argument("--role", required=True, choices=ROLES)
    issue.add_argument("--area", default="", help="division-code prefix: 12 digits village, 9 township, 6 county")
    issue.add_argument("--subject", default="", help="who the token is for (default: <role>-<area>)")
    issue.add_argument("--name", default="")
    issue.add_argument("--department", default=None, help="a partner's department, e.g. medical_insurance")
    issue.add_argument("--hours", type=float, default=8.0, help="validity (default 8)")
    args = parser.parse_args(argv)
    if not 0 < args.hours <= 24 * 31:
        print("error: --hours must be more than 0 and at most 744 (31 days)", file=sys.stderr)
        return 2
    secret, source = configured_secret()
    if secret == DEV_JWT_SECRET:
        print(f"warning: signing with the published development secret ({source}); only services with the "
              f"development token issuer accept it", file=sys.stderr)
    try:
        token = issue_token(secret, subject=args.subject or f"{args.role}-{args.area or 'all'}", role=args.role,
                            area=args.area, name=args.name, department=args.department,
                            ttl=timedelta(hours=args.hours))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
