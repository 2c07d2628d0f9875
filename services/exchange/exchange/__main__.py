"""`python -m exchange api|worker|relay|consumer|migrate`, and `python -m exchange backfill --agreement ID`."""
import sys

from exchange.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "backfill":
        from exchange.backfill import main as backfill_main

        backfill_main(sys.argv[2:])
    else:
        main(build_runtime, "exchange.main:create_app")
