"""The security headers on every console response: pages, errors, the login page, static
files, redirects.

The pages load their stylesheet and their one script (index_progress.js) from /console/static
and use no inline script, inline style or style attribute (the chart legend's swatches are SVG
`fill`s), so the Content-Security-Policy allows only the console's own origin and no
'unsafe-inline'. `frame-ancestors 'none'` (and X-Frame-Options for older browsers) keeps the
console out of other sites' frames (clickjacking a 签批 button). Referrer-Policy same-origin
keeps a login link's token and page addresses from other sites; `no-referrer` would do that
too, but a browser then sends `Origin: null` on the login POST, which the login-CSRF check
refuses.
"""

from __future__ import annotations

from aiohttp import web

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",  # index_progress.js polls the import's index job
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


async def add_security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every response of the console, errors included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
