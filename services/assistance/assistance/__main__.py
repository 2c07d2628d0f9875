"""`python -m assistance api|worker|relay|consumer|migrate`."""
from assistance.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    main(build_runtime, "assistance.main:create_app")
