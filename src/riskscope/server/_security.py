"""Who may talk to the dashboard, and what a page may do once loaded.

The dashboard shows harmful prompts and lets a person write labels into the store, so:

- it binds 127.0.0.1 unless told otherwise, and any other address requires a token (refused at
  start without one), checked on every request with a constant-time compare;
- on loopback without a token, the Host header must name loopback too: a web page the reviewer
  visits cannot reach the dashboard through DNS rebinding;
- every form post carries a per-process CSRF secret, so another site cannot label items through
  the reviewer's browser;
- every response carries a strict Content-Security-Policy (no inline script or style at all),
  so model text that somehow escaped escaping still could not run.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from riskscope.errors import ConfigError

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "MIN_TOKEN_LENGTH",
    "TOKEN_COOKIE",
    "check_bind",
    "host_is_loopback",
    "new_secret",
    "same_secret",
]

MIN_TOKEN_LENGTH = 16
TOKEN_COOKIE = "riskscope_token"  # noqa: S105 - a cookie name, not a secret
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def host_is_loopback(host: str) -> bool:
    """True for localhost and any loopback address (127.0.0.0/8, ::1), with or without brackets."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve a non-loopback address without a token, and tokens too short to resist guessing."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"--token must be at least {MIN_TOKEN_LENGTH} characters")
    if not host_is_loopback(host) and token is None:
        raise ConfigError(
            f"refusing to serve on {host}: any address other than 127.0.0.1 needs --token "
            "(or RISKSCOPE_TOKEN) so that only people who hold it can read the results"
        )


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so response timing does not leak how much of a guess was right."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def host_header_allowed(host_header: str | None) -> bool:
    """Only loopback names may appear in the Host header of a loopback, token-less dashboard."""
    if not host_header:
        return False
    host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    if host_header.startswith("[") and "]:" in host_header:
        host = host_header.split("]:", 1)[0] + "]"
    return host_is_loopback(host)
