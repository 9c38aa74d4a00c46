"""Server-side pages: Jinja2 templates (autoescaped), the signed-in viewer and CSRF token in every page, and a
one-time notice carried across the redirect after a form."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from inventory.register.render import human_bytes
from inventory.web.scope import Viewer

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
NOTICE_COOKIE = "steward_notice"


TEMPLATES.env.filters["size"] = human_bytes
TEMPLATES.env.filters["words"] = lambda s: (s or "").replace("_", " ")


def _plain(value: Any) -> str:
    """A structured evidence value in words: "a 1, b 2" for a mapping, "x, y" for a list."""
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')} {_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "none"
    return str(value)


TEMPLATES.env.filters["plain"] = _plain


def _day(iso: str | None) -> str:
    """An ISO date (or date-time) as the UK writes it, day first: "31 Mar 2027"."""
    if not iso:
        return "—"
    try:
        return date.fromisoformat(iso[:10]).strftime("%d %b %Y")
    except ValueError:
        return iso


TEMPLATES.env.filters["day"] = _day
TEMPLATES.env.filters["when"] = lambda iso: f"{_day(iso)} {iso[11:16]}".rstrip() if iso else "—"
TEMPLATES.env.filters["files"] = lambda n: f"{n or 0:,} file" + ("" if n == 1 else "s")


def render(request: Request, template: str, status_code: int = 200, /, **context: Any) -> Response:
    cur = getattr(request.state, "current", None)
    user = cur.user if cur else None
    notice = request.cookies.get(NOTICE_COOKIE)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "viewer": Viewer.of(user) if user else None,
            "csrf": cur.session.csrf if cur and cur.session else "",
            "notice": unquote(notice) if notice else None,
            **context,
        },
        status_code=status_code,
    )
    if notice:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return response


def done(request: Request, target: str, message: str, ok: bool = True) -> Response:
    """Redirect after a form (303), carrying a one-line notice for the next page."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        NOTICE_COOKIE,
        quote(("" if ok else "! ") + message),
        max_age=60,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.app.state.config.web.secure_cookies,
    )
    return response
