"""`python -m gradual_exit api|worker|relay|consumer|migrate`."""
from gradual_exit.bootstrap import build_runtime
from shared.runtime import main

if __name__ == "__main__":
    main(build_runtime, "gradual_exit.main:create_app")
