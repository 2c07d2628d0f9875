"""policy's start-up job: the national defaults and the POLICY_DIR documents, published once each."""
from __future__ import annotations

from pathlib import Path

from policy import handlers
from shared.emits import emits


@emits("policy.ruleset.published")
def seed(runtime) -> int:
    """Publishes what is not yet published (idempotent); a bad POLICY_DIR file raises FolderError naming it."""
    svc: handlers.Services = runtime.services
    folder = runtime.settings.policy_dir
    with runtime.session_factory() as session, session.begin():
        handlers.ensure_national(session, svc)
        handlers.load_shipped(session, svc)
        loaded = handlers.load_folder(session, svc, Path(folder)) if folder else []
    return len(loaded)
