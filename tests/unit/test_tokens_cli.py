"""`python -m shared.tokens issue`: a compose user's way to a token, signed with the configured secret."""
from shared import tokens
from shared.auth import decode_token
from shared.config import DEV_JWT_SECRET


def test_it_signs_with_the_configured_secret_and_the_token_decodes(monkeypatch, capsys):
    for name in ("JWT_SECRET", *(p + "JWT_SECRET" for p in tokens.SERVICE_PREFIXES)):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTIFICATION_JWT_SECRET", "s" * 48)
    assert tokens.main(["issue", "--role", "county", "--area", "530102"]) == 0
    principal = decode_token("s" * 48, capsys.readouterr().out.strip())
    assert (principal.role, principal.area, principal.subject) == ("county", "530102", "county-530102")
    monkeypatch.setenv("JWT_SECRET", "t" * 48)
    assert tokens.main(["issue", "--role", "partner", "--department", "medical_insurance"]) == 0
    assert decode_token("t" * 48, capsys.readouterr().out.strip()).department == "medical_insurance"


def test_a_bad_area_or_the_dev_secret_is_said_clearly(monkeypatch, capsys):
    for name in ("JWT_SECRET", *(p + "JWT_SECRET" for p in tokens.SERVICE_PREFIXES)):
        monkeypatch.delenv(name, raising=False)
    assert tokens.main(["issue", "--role", "village", "--area", "530102"]) == 2
    assert "12-digit" in capsys.readouterr().err
    assert tokens.main(["issue", "--role", "admin"]) == 0
    out = capsys.readouterr()
    assert "published development secret" in out.err
    assert decode_token(DEV_JWT_SECRET, out.out.strip()).role == "admin"
    assert tokens.main(["issue", "--role", "admin", "--hours", "0"]) == 2
