"""`python -m oversight api|worker|relay|consumer|migrate`."""
from oversight.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    main(build_runtime, "oversight.main:create_app")
