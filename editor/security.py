"""What the editor tells browsers about itself, and who is asking: headers, the cookie's Secure flag, client address.

The editor listens on loopback behind a reverse proxy with TLS (README, "Editor
for volunteers"). A request that came through a proxy, or any request when the
editor listens on another address, has reached the volunteer over the network:
the cookie is then Secure and the browser is told to use HTTPS only (HSTS). The
proxy's X-Forwarded-Proto is not needed for that decision, so a proxy that
does not set it cannot silently downgrade the cookie. Only a browser on this
machine talking to a loopback editor directly (`./lotse run`) gets plain HTTP.
"""

from __future__ import annotations

import ipaddress

from sanic import Request
from sanic.response import HTTPResponse

# Pages, forms and the stylesheet come from the editor itself; nothing runs inline, nothing frames it.
CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
STRICT_TRANSPORT_SECURITY = "max-age=31536000"  # one year; not for subdomains, which the editor does not own
_PROXY_HEADERS = ("forwarded", "x-real-ip")  # besides every X-Forwarded-* header


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach ('localhost', 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any address
        return False


def through_proxy(request: Request) -> bool:
    """True when a proxy forwarded the request (it names the original client, host or scheme)."""
    return any(name.startswith("x-forwarded-") or name in _PROXY_HEADERS for name in request.headers)


def client_address(request: Request) -> str:
    """The volunteer's address: the last hop of X-Forwarded-For when the request came from a proxy on this
    machine (nginx's $proxy_add_x_forwarded_for appends the address it saw), else the connection's peer.

    The header counts only on connections from this machine, and then only its last entry (the one the
    proxy wrote), so no one elsewhere can choose the address they are throttled under."""
    if is_loopback(request.ip):
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        if _is_address(forwarded):
            return forwarded
    return request.ip


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def add_headers(reply: HTTPResponse, secure: bool) -> None:
    """The headers every answer carries; pages are not stored by the browser (the inbox shows what people wrote)."""
    reply.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    reply.headers["X-Content-Type-Options"] = "nosniff"
    reply.headers["Referrer-Policy"] = "no-referrer"
    reply.headers.setdefault("Cache-Control", "no-store")
    if secure:
        reply.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
