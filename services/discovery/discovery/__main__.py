"""`python -m discovery api|worker|relay|migrate`."""
from discovery.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    main(build_runtime, "discovery.main:create_app")
