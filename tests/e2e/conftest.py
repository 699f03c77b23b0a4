"""End-to-end fixtures: the real gunicorn server (gunicorn.conf.py) and a real Chromium.

``gunicorn_url`` boots ``gunicorn -c gunicorn.conf.py`` on 127.0.0.1 and a free port, exactly as
production starts (tools.serving.gunicorn_server), waits for ``/readyz`` (model loaded and warmed
up), yields the base URL and stops the server. The browser is Debian's ``/usr/bin/chromium``
driven by Playwright (no Playwright-downloaded browser: the machines have no internet access for
browser builds).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageDraw, ImageFont

from service.settings import Settings
from tools.serving import ServerNotReady, gunicorn_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

CHROMIUM_PATH = "/usr/bin/chromium"
READY_TIMEOUT_S = 120.0
# Small enough that a test can send an oversized file cheaply; far above every other test image.
E2E_MAX_UPLOAD_BYTES = 1024 * 1024

LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@pytest.fixture(scope="session")
def gunicorn_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real gunicorn server started from gunicorn.conf.py (one worker)."""
    model_path = Settings.from_env().model_path
    if not model_path.is_file():
        pytest.skip(f"{model_path} does not exist yet")
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {"WEB_CONCURRENCY": "1", "OCR_ORT_THREADS": "1", "OCR_MAX_UPLOAD_BYTES": str(E2E_MAX_UPLOAD_BYTES)}
    try:
        with gunicorn_server(env, log_path, timeout_s=READY_TIMEOUT_S) as url:
            yield url
    except ServerNotReady as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def max_upload_bytes() -> int:
    """The upload cap (OCR_MAX_UPLOAD_BYTES) the ``gunicorn_url`` server runs with."""
    return E2E_MAX_UPLOAD_BYTES


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Debian Chromium for the whole session."""
    from playwright.sync_api import sync_playwright  # imported here: only UI tests need it

    if not Path(CHROMIUM_PATH).exists():
        pytest.fail(f"{CHROMIUM_PATH} is missing: apt-get install -y chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageProbe:
    """A page plus what it reported: uncaught script errors and JavaScript dialogs."""

    page: Page
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def ui(browser: Browser, gunicorn_url: str) -> Iterator[PageProbe]:
    """A fresh browser context on the WebUI, with downloads and clipboard access allowed.

    Any uncaught page error fails the test at teardown; dialogs are recorded and dismissed.
    """
    context = browser.new_context(
        base_url=gunicorn_url, accept_downloads=True, viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"], locale="zh-CN",
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    probe = PageProbe(page)
    page.on("pageerror", lambda exc: probe.page_errors.append(str(exc)))

    def on_dialog(dialog: Dialog) -> None:
        probe.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto("/")
    try:
        yield probe
    finally:
        context.close()
    assert probe.page_errors == [], f"uncaught errors in the page: {probe.page_errors}"


def _font(size_px: int, cjk: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = CJK_FONT if cjk and CJK_FONT.exists() else LATIN_FONT
    if path.exists():
        return ImageFont.truetype(str(path), size_px)
    return ImageFont.load_default(size=size_px)


@dataclass(frozen=True)
class TextImage:
    """A rendered test image: ``png`` bytes and each drawn line's box [x0, y0, x1, y1] in pixels."""

    png: bytes
    boxes: list[list[int]]


def render_text_png(lines: list[str], *, size_px: int = 36, cjk: bool = False) -> TextImage:
    """A white PNG with ``lines`` drawn in black, one under the other with a clear gap."""
    font = _font(size_px, cjk)
    line_h = int(size_px * 1.4)
    gap = int(size_px * 0.9)
    width = max(int(font.getlength(text)) for text in lines) + 2 * size_px
    height = len(lines) * line_h + (len(lines) - 1) * gap + size_px
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    boxes = []
    for i, text in enumerate(lines):
        origin = (size_px, size_px // 2 + i * (line_h + gap))
        draw.text(origin, text, font=font, fill="black")
        x0, y0, x1, y1 = draw.textbbox(origin, text, font=font)
        boxes.append([int(x0) - 2, int(y0) - 2, int(x1) + 2, int(y1) + 2])
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return TextImage(buf.getvalue(), boxes)


@pytest.fixture(scope="session")
def text_png() -> Callable[..., TextImage]:
    """Factory fixture: ``text_png(["line 1", "line 2"], size_px=36, cjk=False) -> TextImage``."""
    return render_text_png
