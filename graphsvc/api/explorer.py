"""The graph explorer page at ``/`` and the payload-format page at ``/formats``: the built ``web/`` project.

The page's assets are built from ``web/`` (``npm ci && npm run build`` there; vite writes into
``graphsvc/api/explorer/``) and committed, so an installed graphsvc serves them without Node or a network.
Every HTML answer of the app (the explorer, ``/docs``, ``/redoc``) carries a Content-Security-Policy that lets
the browser load nothing from another origin: nothing leaves the machine even where a bundled library would
reach out (ReDoc's sidebar logo points at its CDN).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXPLORER_DIR = Path(__file__).resolve().parent / "explorer"

#: Same origin only; inline scripts and styles for Swagger UI's and ReDoc's bootstrap, blob workers for ReDoc's
#: search and ForceAtlas2's layout worker.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
       "frame-ancestors 'self'; base-uri 'self'; form-action 'self'")

_MISSING = """<!doctype html><meta charset="utf-8"><title>graphsvc</title>
<p>The explorer page is not built in this checkout: run <code>npm ci && npm run build</code> in <code>web/</code>.
The API is at <a href="/docs">/docs</a>.</p>"""


class HtmlSecurityHeaders:
    """Adds :data:`CSP` (and ``X-Content-Type-Options``) to every ``text/html`` answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_csp(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                ctype = next((v for k, v in headers if k == b"content-type"), b"")
                if ctype.startswith(b"text/html"):
                    headers.append((b"content-security-policy", CSP.encode()))
                    headers.append((b"x-content-type-options", b"nosniff"))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_csp)


def _page(name: str) -> FileResponse | HTMLResponse:
    path = EXPLORER_DIR / name
    if not path.is_file():
        return HTMLResponse(_MISSING, status_code=503)
    return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-cache"})


def install(app: FastAPI) -> None:
    """Serve the explorer at ``/`` and ``/formats``, its assets under ``/assets``."""

    @app.get("/", include_in_schema=False, response_model=None)
    async def explorer() -> FileResponse | HTMLResponse:
        return _page("index.html")

    @app.get("/formats", include_in_schema=False, response_model=None)
    async def formats() -> FileResponse | HTMLResponse:
        return _page("formats.html")

    assets = EXPLORER_DIR / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="explorer-assets")
    app.add_middleware(HtmlSecurityHeaders)
