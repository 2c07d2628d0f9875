"""`python -m identification api|worker|relay|consumer|migrate`."""
from identification.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    main(build_runtime, "identification.main:create_app")
