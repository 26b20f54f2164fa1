"""The playground page in a real browser: Playwright driving the system's Chromium."""

import math
import shutil
import socket
import threading
import time

import fastapi  # noqa: E402, F401
import playwright.sync_api as sync_api  # noqa: E402
import pytest
import uvicorn  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium to run this test)"
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    from glassnet.playground import create_app

    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the playground server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pg = browser.new_page(viewport={"width": 1320, "height": 900})
        pg.errors = []
        pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.goto(server)
        pg.wait_for_function("document.getElementById('test-loss').textContent !== '-'")
        yield pg
        browser.close()


def _loss(page):
    text = page.text_content("#test-loss")
    return float(text) if text not in ("-", "NaN") else math.nan


def test_train_toggle_export_upload_in_the_browser(page, tmp_path):
    page.select_option("#dataset", "gauss")
    page.click("#add-layer")
    page.wait_for_function("document.getElementById('layer-count').textContent === '3'")
    page.wait_for_function("document.getElementById('step-count').textContent === '0'")
    start = _loss(page)
    before = page.evaluate("document.getElementById('heatmap').toDataURL()")
    page.click("#play")
    # Two balanced classes: a network at chance has cross-entropy ln 2 = 0.69; below 0.25 it
    # separates the blobs. Polled, with a bound.
    deadline = time.monotonic() + 15
    while not _loss(page) < 0.25:
        assert time.monotonic() < deadline, f"test loss still {_loss(page)} (started {start})"
        page.wait_for_timeout(200)
    page.screenshot(path=str(tmp_path / "trained.png"))
    # the decision boundary was redrawn as it trained
    assert page.evaluate("document.getElementById('heatmap').toDataURL()") != before
    page.click("#play")  # pause
    steps = int(page.text_content("#step-count"))
    assert steps > 0

    # another activation: a fresh run, and the network is drawn again
    page.select_option("#activation", "relu")
    page.wait_for_function("document.getElementById('step-count').textContent === '0'")
    page.click("#step")
    page.wait_for_function("document.getElementById('step-count').textContent === '1'")

    page.click("#export")
    page.wait_for_function("document.getElementById('export-code').value.length > 0")
    code = page.input_value("#export-code")
    assert "class PlaygroundRun" in code and "'activation': 'relu'" in code
    assert "'dataset': 'gauss'" in code and "'hidden': [4, 2, 4]" in code and "STEPS = 1" in code
    compile(code, "exported.py", "exec")  # the script is valid Python (run in the API test)

    csv = tmp_path / "mine.csv"
    csv.write_text("x,y,label\n" + "\n".join(f"{i},{(i * 7) % 11},{i % 2}" for i in range(40)))
    page.set_input_files("#csv-file", str(csv))
    page.wait_for_function("document.getElementById('csv-status').textContent === '40 rows read'")
    assert page.input_value("#dataset") == "csv"
    page.wait_for_function("document.getElementById('step-count').textContent === '0'")
    page.screenshot(path=str(tmp_path / "csv.png"))

    # a broken CSV: the message shows in the page, and the session lives on
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,0\n3,oops,1\n")
    page.set_input_files("#csv-file", str(bad))
    page.wait_for_selector("#error:not([hidden])")
    assert "not a number" in page.text_content("#error")
    page.click("#step")
    page.wait_for_function("document.getElementById('step-count').textContent === '1'")
    assert page.errors == []


def test_huge_learning_rate_shows_a_message(page, tmp_path):
    page.select_option("#activation", "relu")  # unbounded, so the weights overflow to inf/NaN
    page.wait_for_function("document.getElementById('step-count').textContent === '0'")
    page.select_option("#learning_rate", "1000000000")
    page.wait_for_function("document.getElementById('step-count').textContent === '0'")
    page.click("#play")
    page.wait_for_selector("#error:not([hidden])", timeout=15000)
    assert "far too large" in page.text_content("#error")
    assert page.text_content("#play").strip().endswith("play")  # stopped playing
    page.screenshot(path=str(tmp_path / "nan.png"))
    # a sane learning rate in the same tab trains again
    page.select_option("#learning_rate", "0.03")
    page.wait_for_selector("#error", state="hidden")
    page.click("#step")
    page.wait_for_function("document.getElementById('step-count').textContent === '1'")
    assert page.errors == []


def test_a_preset_address_opens_the_page_on_its_settings(server, tmp_path):
    from urllib.parse import urlsplit

    from glassnet.playground import preset_url

    port = urlsplit(server).port
    url = preset_url(
        port=port,
        dataset="spiral",
        hidden=[8, 8, 5],
        activation="relu",
        optimizer="Adam",
        features=["x1", "x2", "sin(x1)"],
        batch_norm=True,
        train_ratio=0.7,
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("document.getElementById('test-loss').textContent !== '-'")
        page.click("#export")
        page.wait_for_function("document.getElementById('export-code').value.length > 0")
        code = page.input_value("#export-code")
        browser.close()
    # the run the server built (read back from its exported settings) is the preset's
    for text in (
        "'dataset': 'spiral'",
        "'hidden': [8, 8, 5]",
        "'activation': 'relu'",
        "'optimizer': 'Adam'",
        "'features': ['x1', 'x2', 'sin(x1)']",
        "'batch_norm': True",
        "'train_ratio': 0.7",
    ):
        assert text in code, text
    assert errors == []
