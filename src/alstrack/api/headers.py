"""Security headers on every answer: what a browser may load, frame, sniff, send and keep.

:class:`SecurityHeaders`, an ASGI middleware, adds them to each response as it starts, from a
list made once: a response costs one pass over its own few headers. :func:`install` puts it
around the app's whole middleware stack, so that Starlette's own answer to an unexpected error
(500), made outside every middleware that ``add_middleware`` adds, carries them too.

A header the route set itself is kept (the audit trail's ``Cache-Control``, the docs page's
``Content-Security-Policy`` that allows its one inline script by hash).
``Strict-Transport-Security`` goes only on a request that came over HTTPS (the scope's scheme,
which uvicorn sets from ``X-Forwarded-Proto`` behind a TLS proxy it trusts): a plain-HTTP answer
cannot set it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only the app's own origin. Styles may be inline: the pages and reports carry a <style> block and
# matplotlib's inline SVG figures style attributes; every template escapes what it shows, and no
# script may be inline (the docs page names its one by hash). Swagger UI's stylesheet draws its
# icons as data: images.
_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The policy, with ``script_hashes`` (``'sha256-…'``) allowed besides the app's own files."""
    policy = dict(_POLICY)
    extra = " ".join(script_hashes)
    if extra:
        policy["script-src"] = f"{policy['script-src']} {extra}"
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


# A <script> element without a src attribute, and its text.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.DOTALL)


def inline_script_hashes(html: str | bytes) -> list[str]:
    """The CSP source (``'sha256-…'``) of each inline ``<script>`` of ``html``, in order."""
    text = html.decode() if isinstance(html, bytes) else html
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(text)
    ]


CONTENT_SECURITY_POLICY = content_security_policy()
# A year; not includeSubDomains: other hosts of the clinic's domain are not this app's to bind.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"

_HEADERS: list[tuple[bytes, bytes]] = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        # Answers carry health data: no browser or proxy keeps a copy.
        ("Cache-Control", "no-store"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    )
]
_HTTPS_HEADERS = [*_HEADERS, (b"strict-transport-security", STRICT_TRANSPORT_SECURITY.encode())]


class SecurityHeaders:
    """Add the security headers to every HTTP response the app makes, keeping a route's own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = _HTTPS_HEADERS if scope.get("scheme") == "https" else _HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [header for header in added if header[0] not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: Starlette) -> None:
    """Wrap ``app``'s whole middleware stack, its error handling included, in the headers."""
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
