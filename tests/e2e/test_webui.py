"""The WebUI in a real Chromium against the real gunicorn server and model.

The model's accuracy is still improving, so these tests assert structure and behaviour (boxes,
line rows, timings, errors, exports), never the exact recognized text. The tests of purely
front-end behaviour (editing, copying, exporting, the preview's line crops, escaping of server
text) answer ``POST /ocr`` in the browser with a fixed, contract-shaped body so that they do not
depend on what the model reads; everything else goes through the real server.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import PageProbe, TextImage

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
TWO_LINES = ["Hello OCR 2024", "Total 42.50 EUR"]
FINISHED = "#gallery li.card[data-status=done], #gallery li.card[data-status=error]"


def upload(page: Page, files: list[tuple[str, str, bytes]]) -> None:
    page.set_input_files("#file-input", [{"name": n, "mimeType": m, "buffer": b} for n, m, b in files])


def recognize(page: Page, total: int) -> None:
    """Press Recognize and wait until ``total`` cards have finished (done or failed)."""
    page.click("#recognize-btn")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n", arg=[FINISHED, total]
    )
    expect(page.locator("#recognize-btn")).to_be_enabled()


def line_texts(page: Page) -> list[str]:
    return page.locator("#lines li.line .line-text").all_text_contents()


def as_txt(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def read_download(page: Page, button: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(button)
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def noise_png(min_bytes: int) -> bytes:
    """A PNG of random pixels (incompressible) of at least ``min_bytes``."""
    side = int((min_bytes / 3) ** 0.5) + 16
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    assert len(buf.getvalue()) > min_bytes
    return buf.getvalue()


def answer_ocr_with(page: Page, image: TextImage, texts: list[str]) -> dict[str, object]:
    """Answer the page's ``POST /ocr`` with a fixed API-shaped body: ``texts`` at the drawn boxes."""
    body: dict[str, object] = {
        "success": True, "text": texts, "time_ms": 12, "md5": "0" * 32, "cached": False,
        "lines": [{"text": t, "confidence": c, "box": b}
                  for t, c, b in zip(texts, [0.97, 0.55, 0.31], image.boxes, strict=False)],
        "model": {"name": "fixed", "version": "test", "quantized": True},
        "timings": {"decode_ms": 1.0, "preprocess_ms": 2.0, "inference_ms": 9.0, "total_ms": 12.0},
    }
    page.route("**/ocr", lambda route: route.fulfill(json=body))
    return body


def test_one_image_is_recognized_with_numbered_boxes_and_time(
    ui: PageProbe, text_png: Callable[..., TextImage]
) -> None:
    page = ui.page
    image = text_png(TWO_LINES)
    upload(page, [("two lines.png", "image/png", image.png)])
    expect(page.locator("#gallery li.card")).to_have_count(1)
    with page.expect_response("**/ocr") as response_info:
        recognize(page, 1)
    body = response_info.value.json()

    expect(page.locator("#gallery li.card[data-status=done]")).to_have_count(1)
    expect(page.locator("#detail-name")).to_have_text("two lines.png")
    # The model reads clean 36-px DejaVu Sans (a training font): at least one line comes back.
    assert 1 <= len(body["lines"]) <= 2, body
    rows = page.locator("#lines li.line")
    boxes = page.locator("#box-layer .box")
    expect(rows).to_have_count(len(body["lines"]))
    expect(boxes).to_have_count(len(body["lines"]))
    assert line_texts(page) == body["text"]
    assert boxes.locator(".box-num").all_text_contents() == [str(i + 1) for i in range(len(body["lines"]))]
    for conf in page.locator("#lines .line-conf").all_text_contents():
        assert re.fullmatch(r"\d{1,3}\.\d%", conf)

    img = page.locator("#viewer-img").bounding_box()
    assert img
    scale = img["width"] / page.eval_on_selector("#viewer-img", "i => i.naturalWidth")
    for line, box in zip(body["lines"], boxes.all(), strict=True):
        drawn = box.bounding_box()
        assert drawn
        x0, y0, x1, y1 = line["box"]
        assert abs(drawn["x"] - (img["x"] + x0 * scale)) <= 2
        assert abs(drawn["y"] - (img["y"] + y0 * scale)) <= 2
        assert abs(drawn["width"] - (x1 - x0) * scale) <= 2

    timing = page.locator("#detail-timing").inner_text()
    assert f"server {body['time_ms']} ms" in timing and re.search(r"round trip \d+ ms", timing)
    expect(page.locator("#gallery li.card .card-status")).to_contain_text(f"{body['time_ms']} ms")

    # The mode selector's value reaches the server: mode=line reads the whole image as one line.
    page.select_option("#mode-select", "line")
    with page.expect_response("**/ocr") as response_info:
        page.click("#recognize-btn")
    whole = response_info.value.json()
    width, height = page.eval_on_selector("#viewer-img", "i => [i.naturalWidth, i.naturalHeight]")
    assert len(whole["lines"]) <= 1 and all(line["box"] == [0, 0, width, height] for line in whole["lines"])
    expect(page.locator("#detail-timing")).to_contain_text("mode line")
    expect(rows).to_have_count(len(whole["lines"]))


def test_batch_with_a_bad_file_keeps_the_other_results_and_exports_a_zip(
    ui: PageProbe, text_png: Callable[..., TextImage]
) -> None:
    page = ui.page
    upload(page, [
        ("first.png", "image/png", text_png(TWO_LINES).png),
        ("notes.txt", "text/plain", b"this is not an image\n"),
        ("第二 second.png", "image/png", text_png(["Batch 2 of 3"]).png),
    ])
    recognize(page, 3)

    cards = page.locator("#gallery li.card")
    assert [c.get_attribute("data-status") for c in cards.all()] == ["done", "error", "done"]
    bad = cards.nth(1)
    expect(bad.locator(".card-error")).to_contain_text("不支持的格式 / Unsupported format")
    for card in cards.all():  # every file's progress bar is complete
        assert card.locator(".fill").evaluate("e => e.style.width") == "100%"
    expect(page.locator("#batch-summary")).to_contain_text("done 2/3")
    expect(page.locator("#batch-summary")).to_contain_text("failed 1")

    bad.click()
    expect(page.locator("#detail-error")).to_be_visible()
    expect(page.locator("#detail-error")).to_contain_text("Unsupported format")
    expect(page.locator("#lines li.line")).to_have_count(0)
    cards.nth(0).click()
    expect(page.locator("#detail-error")).to_be_hidden()
    first_lines = line_texts(page)

    name, data = read_download(page, "#export-zip-btn")
    assert name == "ocr-results.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every CRC matches
        assert sorted(archive.namelist()) == sorted([
            "first.txt", "first.json", "notes.json", "第二 second.txt", "第二 second.json",
            "results.csv", "summary.json",
        ])
        assert archive.read("first.txt").decode() == as_txt(first_lines)
        first = json.loads(archive.read("first.json"))
        assert first["success"] is True and first["text"] == first_lines
        assert all(len(line["box"]) == 4 for line in first["lines"])
        notes = json.loads(archive.read("notes.json"))
        assert notes["success"] is False and notes["error"]["code"] == "unsupported_media_type"
        assert len(json.loads(archive.read("summary.json"))) == 3
        rows = list(csv.reader(io.StringIO(archive.read("results.csv").decode("utf-8-sig"))))
        assert rows[0] == ["file", "line", "text", "confidence", "x0", "y0", "x1", "y1"]
        second = json.loads(archive.read("第二 second.json"))
        assert len(rows) - 1 == len(first["lines"]) + len(second["lines"])


def test_unsupported_and_oversized_files_get_clear_errors(ui: PageProbe, max_upload_bytes: int) -> None:
    page = ui.page
    upload(page, [
        ("readme.txt", "text/plain", b"plain text, not a picture"),
        ("huge.png", "image/png", noise_png(max_upload_bytes + 64 * 1024)),
    ])
    recognize(page, 2)
    cards = page.locator("#gallery li.card")
    expect(cards.nth(0).locator(".card-error")).to_contain_text("不支持的格式 / Unsupported format: ")
    expect(cards.nth(1).locator(".card-error")).to_contain_text("文件过大 / File too large")
    expect(page.locator("#detail-name")).to_have_text("readme.txt")
    expect(page.locator("#detail-error")).to_contain_text("request ")  # the request id, for support


def test_a_format_the_browser_cannot_show_still_gets_its_result(
    ui: PageProbe, text_png: Callable[..., TextImage]
) -> None:
    """TIFF is accepted by the server but not displayed by Chromium: the result is listed, the
    image area explains why it is empty, and the (browser-computed) preview is hidden."""
    page = ui.page
    buf = io.BytesIO()
    with Image.open(io.BytesIO(text_png(["Scanned page"]).png)) as image:
        image.save(buf, "TIFF")
    upload(page, [("scan.tif", "image/tiff", buf.getvalue())])
    recognize(page, 1)
    expect(page.locator("#gallery li.card[data-status=done]")).to_have_count(1)
    expect(page.locator("#viewer-note")).to_be_visible()
    expect(page.locator("#viewer-note")).to_contain_text("cannot display")
    expect(page.locator("#lines-panel")).to_be_visible()
    expect(page.locator("#preview-panel")).to_be_hidden()


def test_edit_copy_and_export_txt_json_csv(ui: PageProbe, text_png: Callable[..., TextImage]) -> None:
    page = ui.page
    image = text_png(TWO_LINES)
    answer_ocr_with(page, image, TWO_LINES)
    upload(page, [("receipt.png", "image/png", image.png)])
    recognize(page, 1)
    first = page.locator("#lines li.line").nth(0)
    edited = '=HYPERLINK("x"), 编辑'  # quotes, a comma and a spreadsheet formula
    first.locator(".line-text").fill(edited)
    expect(first).to_have_class(re.compile(r"\bedited\b"))
    texts = line_texts(page)
    assert texts == [edited, TWO_LINES[1]]

    first.locator(".line-copy").click()
    expect(page.locator("#toast")).to_contain_text("已复制 / Copied")
    assert page.evaluate("navigator.clipboard.readText()") == edited
    page.click("#copy-all-btn")
    page.wait_for_function("async (t) => (await navigator.clipboard.readText()) === t", arg="\n".join(texts))

    name, data = read_download(page, "#export-txt-btn")
    assert name == "receipt.txt" and data.decode() == as_txt(texts)
    name, data = read_download(page, "#export-json-btn")
    exported = json.loads(data)
    assert name == "receipt.json" and exported["text"] == texts
    assert exported["lines"][0]["edited"] is True and exported["lines"][1]["edited"] is False
    assert isinstance(exported["time_ms"], int) and isinstance(exported["round_trip_ms"], int)
    name, data = read_download(page, "#export-csv-btn")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    # a leading '=' is neutralised so a spreadsheet shows the text instead of evaluating it
    assert name == "receipt.csv" and [r[2] for r in rows[1:]] == ["'" + edited, texts[1]]

    # Without the async clipboard API the selection + execCommand('copy') fallback is used.
    page.evaluate("""() => {
        Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined, configurable: true});
        window.copied = null;
        document.addEventListener('copy', () => { window.copied = document.getSelection().toString()
            || document.activeElement.value; });
    }""")
    page.locator("#lines li.line").nth(1).locator(".line-copy").click()
    assert page.evaluate("window.copied") == texts[1]


def test_preprocessing_preview_follows_the_sliders(ui: PageProbe, text_png: Callable[..., TextImage]) -> None:
    page = ui.page
    image = text_png(TWO_LINES)
    answer_ocr_with(page, image, TWO_LINES)
    upload(page, [("preview.png", "image/png", image.png)])
    recognize(page, 1)
    canvas = page.locator("#preview-canvas")
    expect(canvas).to_be_visible()
    expect(page.locator("#preview-panel summary")).to_contain_text("预览")
    crops = page.locator("#crops canvas.crop")
    expect(crops).to_have_count(2)  # one height-32 crop per returned box
    assert crops.evaluate_all("cs => cs.map(c => c.height)") == [32, 32]

    def pixels() -> str:
        return canvas.evaluate("c => c.toDataURL()")

    def wait_changed(before: str) -> None:
        page.wait_for_function("(b) => document.getElementById('preview-canvas').toDataURL() !== b", arg=before)

    binary = pixels()
    page.focus("#c-slider")
    page.keyboard.press("End")
    expect(page.locator("#c-value")).to_have_text("40")
    wait_changed(binary)
    high_c = pixels()
    page.focus("#block-slider")
    page.keyboard.press("Home")
    expect(page.locator("#block-value")).to_have_text("3")
    wait_changed(high_c)
    page.check("input[name=preview-stage][value=gray]")
    expect(canvas).to_have_attribute("data-stage", "gray")
    gray = pixels()
    page.check("input[name=preview-stage][value=equalized]")
    expect(canvas).to_have_attribute("data-stage", "equalized")
    assert pixels() not in (gray, binary)


def test_file_names_and_recognized_text_are_never_html(ui: PageProbe, text_png: Callable[..., TextImage]) -> None:
    page = ui.page
    evil_name = "<img src=x onerror=alert(1)>.png"
    upload(page, [(evil_name, "image/png", text_png(["xss"]).png)])
    recognize(page, 1)
    expect(page.locator("#gallery .card-name")).to_have_text(evil_name)
    expect(page.locator("#detail-name")).to_have_text(evil_name)

    evil_text = "<img src=y onerror=alert(2)><script>alert(3)</script>"
    page.route("**/ocr", lambda route: route.fulfill(json={
        "success": True, "text": [evil_text], "time_ms": 1, "md5": "0" * 32, "cached": False,
        "lines": [{"text": evil_text, "confidence": 0.5, "box": [0, 0, 10, 10]}],
        "model": {"name": "<b>m</b>", "version": "1", "quantized": True}, "timings": {},
    }))
    page.select_option("#mode-select", "page")
    page.click("#recognize-btn")
    expect(page.locator("#lines .line-text")).to_have_text(evil_text)
    expect(page.locator("#model-info")).to_contain_text("<b>m</b>")
    page.wait_for_timeout(200)
    assert page.locator("img[src=x], img[src=y], #lines script, #model-info b").count() == 0
    assert ui.dialogs == []


def test_paste_and_drop_add_images(ui: PageProbe, text_png: Callable[..., TextImage]) -> None:
    page = ui.page
    b64 = base64.b64encode(text_png(["pasted"]).png).decode()
    page.evaluate("""(b64) => {
        const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const pasted = new DataTransfer();
        pasted.items.add(new File([bytes], 'image.png', {type: 'image/png'}));
        document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: pasted, bubbles: true}));
        const dropped = new DataTransfer();
        dropped.items.add(new File([bytes], 'dropped.png', {type: 'image/png'}));
        document.getElementById('dropzone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dropped, bubbles: true, cancelable: true}));
    }""", b64)
    expect(page.locator("#gallery .card-name")).to_have_text(["粘贴-pasted-1.png", "dropped.png"])
    recognize(page, 2)
    expect(page.locator("#gallery li.card[data-status=done]")).to_have_count(2)


def test_screenshot_for_the_readme(ui: PageProbe, text_png: Callable[..., TextImage]) -> None:
    page = ui.page
    lines = ["CRNN 文字识别服务", "Invoice No. 2024-0815", "合计 Total ¥128.50"]
    upload(page, [
        ("发票 invoice.png", "image/png", text_png(lines, size_px=40, cjk=True).png),
        ("sign.png", "image/png", text_png(["Exit 出口"], size_px=48, cjk=True).png),
        ("notes.txt", "text/plain", b"not an image"),
    ])
    recognize(page, 3)
    page.locator("#gallery li.card").nth(0).click()
    rows = page.locator("#lines li.line").count()
    expect(page.locator("#box-layer .box")).to_have_count(rows)
    expect(page.locator("#crops canvas.crop")).to_have_count(rows)
    target = REPO_ROOT / "docs" / "screenshot.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    with Image.open(target) as shot:
        assert shot.width == 1280 and shot.height >= 900
