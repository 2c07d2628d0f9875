"""Every service's /docs works on a network with no way out: the page and everything it loads come from the service
(vendored Swagger UI, shared/static/swagger-ui), ReDoc (fonts and script from outside) is off, and no file of the
services or the shared library names a CDN host."""
from __future__ import annotations

import importlib
import re
from html.parser import HTMLParser
from pathlib import Path

import fastapi.openapi.docs
import pytest
from fastapi.testclient import TestClient

from tests.services import ROOT, SERVICES

# Hosts that serve front-end assets; a page naming one is blank or unstyled on an isolated network.
CDN_HOSTS = ("cdn.jsdelivr.net", "fastly.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "cdnjs.com",
             "fonts.googleapis.com", "fonts.gstatic.com", "ajax.googleapis.com", "code.jquery.com", "bootstrapcdn.com",
             "use.fontawesome.com", "kit.fontawesome.com", "cdn.redoc.ly", "cdn.tailwindcss.com", "cdn.bootcdn.net",
             "cdn.bootcss.com", "cdn.staticfile.org", "cdn.staticfile.net", "lib.baomitu.com", "cdn.baomitu.com",
             "lf3-cdn-tos.bytecdntp.com", "cdn.bytedance.com", "npm.elemecdn.com", "esm.sh", "cdn.skypack.dev")
CDN = re.compile("|".join(re.escape(host) for host in CDN_HOSTS), re.IGNORECASE)
SCANNED_SUFFIXES = {".py", ".html", ".htm", ".jinja", ".jinja2", ".j2", ".css", ".js", ".txt", ".toml", ".cfg", ".ini"}
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, _tag, attrs) -> None:
        self.links += [value for name, value in attrs if name in ("src", "href") and value is not None]


def _client(service: str) -> TestClient:
    main = importlib.import_module(f"{service}.main")
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    settings = importlib.import_module(f"{service}.config").Settings(database_url="sqlite://",
                                                                      kafka_bootstrap="127.0.0.1:1")
    return TestClient(main.create_app(runtime=bootstrap.build_runtime(settings), start_workers=False))


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


@pytest.mark.parametrize("service", SERVICES)
def test_docs_page_and_everything_it_loads_come_from_the_service(service):
    client = _client(service)
    page = client.get("/docs")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle(" in page.text and "url: '/openapi.json'" in page.text
    for absolute in ("http://", "https://", "//cdn", "'//", '"//'):
        assert absolute not in page.text, f"{service} /docs names an outside address ({absolute})"
    links = _links(page.text)
    assert {Path(link).suffix for link in links} == set(ASSET_TYPES), links
    for link in links:
        assert link.startswith("/static/swagger-ui/") and not link.startswith("//"), link
        asset = client.get(link)
        assert asset.status_code == 200, f"{service} {link}: {asset.status_code}"
        assert asset.headers["content-type"].startswith(ASSET_TYPES[Path(link).suffix]), asset.headers
        assert len(asset.content) > (100_000 if link.endswith((".js", ".css")) else 100), f"{link} too small"
    bundle = client.get("/static/swagger-ui/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle  # the real bundle, not a placeholder
    assert "validatorUrl" in page.text and '"validatorUrl": null' in page.text  # no call to validator.swagger.io
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and spec.json()["info"]["title"]


@pytest.mark.parametrize("service", SERVICES)
def test_docs_routes_stay_out_of_the_api_and_redoc_is_off(service):
    client = _client(service)
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/static", "/redoc"))]
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200 and redirect.headers["content-type"].startswith("text/html")
    assert _links(redirect.text) == [] and "https://" not in redirect.text
    redoc = client.get("/redoc")  # FastAPI's ReDoc page loads Google fonts and a CDN script: not served
    assert redoc.status_code == 404 and redoc.json()["error"] == "not_found"
    missing = client.get("/static/swagger-ui/no-such-file.js")
    assert missing.status_code == 404 and missing.json()["message_zh"]


def _cdn_mentions(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{text.count(chr(10), 0, m.start()) + 1}: "
            f"{m.group(0)}" for m in CDN.finditer(text)]


def test_the_scan_finds_a_cdn_where_there_is_one():
    # FastAPI's own docs module defaults to cdn.jsdelivr.net and Google fonts: the scan must see them.
    found = _cdn_mentions(Path(fastapi.openapi.docs.__file__))
    assert any("cdn.jsdelivr.net" in f for f in found) and any("fonts.googleapis.com" in f for f in found)


def test_no_file_of_the_services_or_the_shared_library_names_a_cdn_host():
    scanned = [p for top in ("services", "shared") for p in sorted((ROOT / top).rglob("*"))
               if p.is_file() and p.suffix in SCANNED_SUFFIXES and "__pycache__" not in p.parts]
    assert len(scanned) > 100 and ROOT / "shared/static/swagger-ui/swagger-ui-bundle.js" in scanned
    mentions = [m for p in scanned for m in _cdn_mentions(p)]
    assert mentions == []
