"""Service processes started by the tests serve their API as in production: with a secret of this test run, not
the published development default, which a service refuses unless its dev token issuer is on (shared.training).
Set before any Settings() is built, so in-process runtimes and the processes (which inherit the environment) agree."""
import os
import secrets

from tests.services import SERVICES

_SECRET = secrets.token_urlsafe(48)
for _service in SERVICES:
    os.environ.setdefault(f"{_service.upper()}_JWT_SECRET", _SECRET)
