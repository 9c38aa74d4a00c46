"""`steward serve`: the web review as a FastAPI application over Steward's store (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from inventory.config import StewardConfig
from inventory.store.engine import open_store
from inventory.web import api, pages_admin, pages_assets, pages_auth, pages_sar, pages_siro
from inventory.web.deps import CsrfRefused, SignInNeeded
from inventory.web.people import DirectoryCache
from inventory.web.render import render
from inventory.web.scope import Forbidden, NotVisible
from scanner import __version__
from scanner.errors import StewardError

HERE = Path(__file__).parent
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(request: Request, status: int, message: str) -> Response:
    if _api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", status, status=status, message=message)


def create_app(config: StewardConfig, factory: sessionmaker[Session] | None = None) -> FastAPI:
    app = FastAPI(
        title="Steward",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        description="The information asset register, findings and risks of Steward, for the council's "
        "other systems. Authenticate with `Authorization: Bearer <token>` "
        "(`steward user token NAME`). Personal data is never returned: only types, counts, "
        "masked examples and locators.",
    )
    app.state.config = config
    app.state.factory = factory or open_store(config.database)
    app.state.config_path = None  # set by `steward serve`: lets an administrator start scans
    app.state.people = DirectoryCache()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (pages_auth, pages_assets, pages_siro, pages_sar, pages_admin, api):
        app.include_router(module.router)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, exc: SignInNeeded) -> Response:
        message = "Your session has expired: sign in again." if exc.expired else "Sign in to continue."
        if _api(request):
            return JSONResponse({"detail": message}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(
            f"/sign-in?next={quote(target)}" + ("&expired=1" if exc.expired else ""), status_code=303
        )

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return _problem(
            request,
            403,
            "The form was refused: it did not carry this session's security token. Reload the page and try again.",
        )

    @app.exception_handler(NotVisible)
    async def not_visible(request: Request, exc: NotVisible) -> Response:
        return _problem(request, 404, "Not found.")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _problem(request, 403, f"Not allowed: {exc}.")

    @app.exception_handler(StewardError)
    async def steward_error(request: Request, exc: StewardError) -> Response:
        return _problem(request, 400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _problem(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _api(request):
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
        return _problem(request, 404 if request.method == "GET" else 400, "That request was not understood.")

    return app
