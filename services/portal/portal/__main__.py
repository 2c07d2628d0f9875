"""`python -m portal api|worker|relay|consumer|migrate`, and `python -m portal officers add|seed-demo`
(staff accounts: portal.staff.cli)."""
import sys

from portal.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    if sys.argv[1:2] == ["officers"]:
        from portal.staff.cli import main as officers

        sys.exit(officers(sys.argv[2:], build_runtime))
    main(build_runtime, "portal.main:create_app")
