"""CSRF tokens of the web pages' forms, and the key they are made with.

A signed-in page's token is an HMAC of the session token: it changes with every session, needs
no storage, and another site cannot compute it (it never sees the cookie nor the key). The
sign-in form, which comes before any session, uses a signed double-submit cookie: a random value
in a cookie and its HMAC in the form. The key is ``ALSTRACK_SECRET_KEY`` or, unset, one generated
into ``data_dir/secret-key`` on first use (readable by its owner only), shared by every worker
process of the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from alstrack.config import Settings

MIN_KEY_LENGTH = 32
KEY_FILE = "secret-key"
FIELD = "csrf_token"

_keys: dict[str, bytes] = {}


def secret_key(settings: Settings) -> bytes:
    """The key of the settings in force (read or made once per process and data folder)."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if len(value) < MIN_KEY_LENGTH:
            raise ValueError(f"ALSTRACK_SECRET_KEY must have at least {MIN_KEY_LENGTH} characters")
        return value.encode()
    folder = settings.data_dir.resolve()
    cached = _keys.get(str(folder))
    if cached is None:
        cached = _keys[str(folder)] = _key_file(folder / KEY_FILE)
    return cached


def _key_file(path: Path) -> bytes:
    """The key in ``path``, made there first if there is none. It is written to a file of its
    own and linked into place, so that of workers starting at once one publishes its key whole
    and every one reads that same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{KEY_FILE}-{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process published its key first: use that one
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"{path} holds no key of {MIN_KEY_LENGTH} characters or more")
    return key.encode()


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def session_token(key: bytes, session: str) -> str:
    """The CSRF token of the forms of a signed-in session."""
    return _mac(key, "session", session)


def login_cookie() -> str:
    """A fresh value for the sign-in form's double-submit cookie."""
    return secrets.token_urlsafe(32)


def login_token(key: bytes, cookie: str) -> str:
    """The sign-in form's hidden token for its cookie's value."""
    return _mac(key, "login", cookie)


def matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
