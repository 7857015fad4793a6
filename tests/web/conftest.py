"""The web pages over the test clinic: an app with a fixed CSRF key, and a signed-in client."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright
from web_cast import KEY, serving_in_thread, sign_in

from alstrack.api.app import create_app
from alstrack.config import Settings


@pytest.fixture
def web_app(clinic: Any) -> FastAPI:
    return create_app(Settings(secret_key=KEY), db=clinic.db)


@pytest.fixture
def browser(web_app: FastAPI) -> Callable[[str | None], TestClient]:
    """A cookie-keeping client, signed in as one of the cast (or not, with None)."""

    def client(username: str | None) -> TestClient:
        c = TestClient(web_app)
        if username is not None:
            assert sign_in(c, username).status_code == 303
        return c

    return client


# --- a real browser: Debian's Chromium driven by Playwright, nothing downloaded ---------------

CHROMIUM = Path(os.environ.get("ALSTRACK_TEST_CHROMIUM", "/usr/bin/chromium"))
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Chromium, started once per test process (`make test` installs Debian's package)."""
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: apt-get install chromium (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each step's screenshot goes: ALSTRACK_SCREENSHOTS, or `screenshots` in pytest's
    temporary folder (/tmp/pytest-of-$USER/pytest-N/screenshots*/)."""
    wanted = os.environ.get("ALSTRACK_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        return Path(wanted)
    return tmp_path_factory.mktemp("screenshots")


@dataclass
class Visit:
    """A browser tab on the served app, which saves a screenshot of each step."""

    url: str
    page: Page
    folder: Path
    name: str
    problems: list[str]
    steps: int = 0

    def go(self, path: str) -> None:
        self.page.goto(self.url + path)

    def snap(self, step: str) -> Path:
        self.steps += 1
        path = self.folder / f"{self.name}-{self.steps:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def visit(
    request: pytest.FixtureRequest, web_app: FastAPI, chromium: Browser, screenshot_dir: Path
) -> Iterator[Visit]:
    """The app served on a local port and a fresh browser tab at desktop width; ``problems``
    gathers console errors (a Content-Security-Policy violation) and files that failed."""
    with serving_in_thread(web_app) as url:
        context = chromium.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: _console(m, problems))
        page.on("response", lambda r: _response(r, problems))
        page.on("pageerror", lambda e: problems.append(str(e)))
        name = request.node.name.removeprefix("test_").replace("[", "-").rstrip("]")
        yield Visit(url, page, screenshot_dir, name, problems)
        context.close()


def _console(message: ConsoleMessage, problems: list[str]) -> None:
    # A refused page (403, 404) is logged as a failed load: the page itself says why.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(message.text)


def _response(response: Response, problems: list[str]) -> None:
    if response.status >= 400 and response.request.resource_type != "document":
        problems.append(f"{response.status} {response.url}")
