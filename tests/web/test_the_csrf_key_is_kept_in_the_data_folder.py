"""The CSRF tokens' key: ALSTRACK_SECRET_KEY if set (long enough), else one generated once into
the data folder, readable by its owner only, and the same for every process that reads it."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from alstrack.config import Settings
from alstrack.web import csrf


def test_without_a_setting_a_key_is_generated_once_into_the_data_folder(tmp_path: Path) -> None:
    key = csrf.secret_key(Settings(data_dir=tmp_path))
    path = tmp_path / csrf.KEY_FILE
    assert path.read_text().encode() == key
    assert len(key) >= csrf.MIN_KEY_LENGTH
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    csrf._keys.clear()  # another process reads the same file
    assert csrf.secret_key(Settings(data_dir=tmp_path)) == key
    assert list(tmp_path.iterdir()) == [path]  # no draft left behind


def test_a_key_set_in_the_environment_is_used_and_a_short_one_refused(tmp_path: Path) -> None:
    long_key = "k" * 40
    assert csrf.secret_key(Settings(data_dir=tmp_path, secret_key=SecretStr(long_key))) == (
        long_key.encode()
    )
    assert not (tmp_path / csrf.KEY_FILE).exists()
    with pytest.raises(ValueError, match="at least 32 characters"):
        csrf.secret_key(Settings(data_dir=tmp_path, secret_key=SecretStr("short")))


def test_tokens_differ_by_session_and_by_purpose() -> None:
    key = b"k" * 40
    assert csrf.session_token(key, "s-one") != csrf.session_token(key, "s-two")
    assert csrf.session_token(key, "x") != csrf.login_token(key, "x")
    assert csrf.session_token(key, "s-one") != csrf.session_token(b"j" * 40, "s-one")
    assert csrf.matches(csrf.login_token(key, "c"), csrf.login_token(key, "c"))
    assert not csrf.matches(csrf.login_token(key, "c"), None)


def test_a_page_address_it_cannot_use_is_refused_as_a_page(browser: Any) -> None:
    client = browser("alice")
    for url in ("/clinic/patients?page=0", "/clinic/patients/not-a-number"):
        answer = client.get(url)
        assert answer.status_code == 422, url
        assert "text/html" in answer.headers["content-type"]
        assert "The address is not valid" in answer.text
