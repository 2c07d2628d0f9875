"""Runs the README's ten-line partner verification snippet against a JWKS served by a real local HTTP server."""
import json
import re
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from exchange.webhooks.signing import jwks, load_or_create, sign_notification

README = Path(__file__).resolve().parents[4] / "README.md"


def snippet() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- webhook-verify-snippet -->\n```python\n(.*?)```", text, re.S)
    assert m, "README lost its webhook verification snippet"
    code = m.group(1)
    assert len(code.strip().splitlines()) <= 10
    return code


@pytest.fixture()
def jwks_server(tmp_path):
    key = load_or_create(tmp_path / "k.pem")
    doc = json.dumps(jwks([key])).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(doc)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


def test_readme_snippet_verifies_and_refuses_replay(jwks_server):
    key, url = jwks_server
    ns: dict = {}
    exec(snippet(), ns)
    _, token = sign_notification(key, subscription_id="s1", event={"id": "e1", "type": "partner.x.y.z"},
                                 now=datetime.now(timezone.utc))
    seen: set = set()
    assert ns["verify_notification"](token.encode(), url, seen) == {"id": "e1", "type": "partner.x.y.z"}
    with pytest.raises(ValueError, match="replayed"):
        ns["verify_notification"](token.encode(), url, seen)


def test_readme_snippet_refuses_stale(jwks_server):
    key, url = jwks_server
    ns: dict = {}
    exec(snippet(), ns)
    _, token = sign_notification(key, subscription_id="s1", event={"id": "e1"},
                                 now=datetime(2020, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(ValueError, match="stale"):
        ns["verify_notification"](token.encode(), url, set())
