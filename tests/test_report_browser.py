"""The report in a real headless browser (Chromium from the distribution's packages).

Chromium is driven over its DevTools protocol (websocket-client): the page
loads from a file with no console errors, no exceptions and no request other
than the file itself and its embedded data: URLs; every figure is decoded at
print resolution; nothing overflows the A4 text width in print layout; a
full-page screenshot and an A4 PDF are written to the test's tmp dir.
CI installs Chromium (.ci/run); without a binary the test is skipped.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

import simkit
from simkit.report import base_case_fixed, build_report, make_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROME = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(CHROME is None, reason="no Chromium binary on PATH (CI installs the "
                                                       "'chromium' Debian package in .ci/run)")


class DevTools:
    """A minimal DevTools-protocol client: commands by id, events collected."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 60):
        end = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > end:
                raise TimeoutError(method)
            self.events.append(json.loads(self.ws.recv()))

    def evaluate(self, expr: str):
        r = self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"]["value"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    args = [CHROME, "--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1000,1400",
            "about:blank"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox (CI containers)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        end = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > end or proc.poll() is not None:
                pytest.fail(f"Chromium did not start (exit code {proc.poll()})")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        dev = DevTools(pages[0]["webSocketDebuggerUrl"])
        try:
            yield dev
        finally:
            dev.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()


def _report(version: str, tmp) -> str:
    if version == "v1":
        sc = simkit.load_scenario("norddjurs_v1")
        res = simkit.simulate(sc, draws=4_000, seed=2025)
        base = simkit.simulate(sc, draws=1_000, seed=2025, fixed=base_case_fixed(sc))
        return build_report(res, base)
    # the declarative model with a range of two small layers: every table the report can have
    layers = {}
    for name, median in (("sceptical", 1.2), ("optimistic", 1.9)):
        path = tmp / f"{name}.toml"
        path.write_text(f'[parameters.hr_starts]\ndist = "lognormal"\nmedian = {median}\nlow = 1.0\n'
                        f'high = {median + 0.8}\nsource = "assumption: a test layer"\n', encoding="utf-8")
        layers[name] = str(path)
    html, _ = make_report(simkit.load_scenario("norddjurs"), draws=2_048, seed=2025, base_draws=1_024,
                          range=layers)
    return html


@pytest.fixture(scope="module", params=["v1", "v2"])
def loaded(browser, tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("report")
    path = tmp / "rapport.html"
    path.write_text(_report(request.param, tmp), encoding="utf-8")
    browser.events.clear()
    for domain in ("Runtime", "Log", "Page", "Network"):
        browser.send(f"{domain}.enable")
    browser.send("Page.navigate", url=path.as_uri())
    browser.wait_for("Page.loadEventFired")
    browser.evaluate("Promise.all([...document.images].map(i => i.decode()))")
    return browser, path


def test_loads_without_console_errors_or_requests(loaded):
    b, path = loaded
    errors = [e for e in b.events if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
              or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert not errors, errors
    urls = [e["params"]["request"]["url"] for e in b.events if e.get("method") == "Network.requestWillBeSent"]
    assert path.as_uri() in urls
    assert all(u == path.as_uri() or u.startswith("data:") for u in urls), urls
    assert b.evaluate("document.documentElement.lang") == "da"
    assert "Sandsynligheden for at aftalen er udgiftsneutral er" in b.evaluate("document.body.innerText")


def test_every_figure_is_present_and_decoded(loaded, request):
    b, _ = loaded
    imgs = b.evaluate("[...document.images].map(i => ({w: i.naturalWidth, h: i.naturalHeight, "
                      "ok: i.complete, shown: i.getBoundingClientRect().width, alt: i.alt}))")
    # v1: targets, repayment, fan chart; v2 (the default's rate card has no payment targets): no targets figure
    n = {"v1": 3, "v2": 2}[request.node.callspec.params["loaded"]]
    assert len(imgs) == n
    for i in imgs:
        assert i["ok"] and i["alt"]
        assert i["w"] >= 1250 and i["h"] >= 400  # 16 cm at 200 dpi
        assert i["shown"] > 300  # laid out, not collapsed
    assert b.evaluate("document.querySelectorAll('figure figcaption').length") == n


def test_nothing_overflows_the_a4_text_width_in_print(loaded):
    b, _ = loaded
    b.send("Emulation.setEmulatedMedia", media="print")
    b.send("Emulation.setDeviceMetricsOverride", width=680, height=1000, deviceScaleFactor=1, mobile=False)
    try:
        over = b.evaluate("""(() => {
            const body = document.body.getBoundingClientRect().right + 1;
            return [...document.querySelectorAll('table, figure, p, li')]
                .filter(e => e.getBoundingClientRect().right > body)
                .map(e => e.tagName + ': ' + e.innerText.slice(0, 60));
        })()""")
        assert not over, over
    finally:
        b.send("Emulation.clearDeviceMetricsOverride")
        b.send("Emulation.setEmulatedMedia", media="")


def test_screenshot_and_a4_pdf(loaded, tmp_path):
    b, _ = loaded
    b.send("Emulation.setDeviceMetricsOverride", width=1000, height=1400, deviceScaleFactor=1, mobile=False)
    try:
        height = b.evaluate("document.documentElement.scrollHeight")
        shot = b.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip={"x": 0, "y": 0, "width": 1000, "height": height, "scale": 1})
    finally:
        b.send("Emulation.clearDeviceMetricsOverride")
    png = base64.b64decode(shot["data"])
    (tmp_path / "report.png").write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 100_000
    assert int.from_bytes(png[16:20], "big") == 1000 and int.from_bytes(png[20:24], "big") == height
    pdf = base64.b64decode(b.send("Page.printToPDF", preferCSSPageSize=True, printBackground=True)["data"])
    (tmp_path / "report.pdf").write_bytes(pdf)
    assert pdf[:5] == b"%PDF-"
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 3 <= pages <= 10, pages
    assert b"/MediaBox [0 0 595" in pdf or b"/MediaBox [0 0 594" in pdf  # A4: 595 x 842 points
