"""portal's FastAPI application factory: the citizen's pages, the vendored static assets, and the common
operations routes every service has."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from portal.i18n import china_minutes

from portal.bootstrap import build_runtime
from portal.dashboard import router as dashboard_router
from portal.pages import router
from portal.petitions import router as petitions_router
from portal.staff import routes as staff_routes
from portal.staff.form_pages import router as staff_forms_router
from portal.staff.household_pages import router as household_router
from portal.staff.work_pages import router as work_router
from shared.clock import Clock
from shared.runtime import ServiceRuntime
from shared.web import create_service_app

HERE = Path(__file__).resolve().parent
# Nothing a page loads comes from elsewhere: scripts, styles, images and form targets are this origin only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'self'")


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(
        service="portal", title="portal 门户",
        description="The citizen's front door: what can I get (a self-check against identification's rules), the "
                    "online application with its receipt, and where it stands; server-rendered pages in Chinese "
                    "and English that load nothing from outside. 群众门户：政策自测、在线申请与回执、进度查询。",
        routers=[router, work_router, staff_forms_router, household_router, petitions_router, dashboard_router], runtime=runtime, clock=clock,
        start_workers=start_workers)
    app.state.services = runtime.services
    staff_routes.install(app)  # staff sign-in, sign-out, my account; the 403 page of a refused staff form
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.templates.env.filters["china_time"] = china_minutes  # every time a person reads is China time
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def page_headers(request: Request, call_next):
        response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "same-origin"
            response.headers["Cache-Control"] = "no-store"  # pages may show ID numbers a person typed
        return response

    return app
