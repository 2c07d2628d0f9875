"""`python -m policy api|worker|relay|consumer|migrate`."""
from policy.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    main(build_runtime, "policy.main:create_app")
