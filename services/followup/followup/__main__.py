"""`python -m followup api|worker|relay|consumer|migrate`."""
from followup.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    main(build_runtime, "followup.main:create_app")
