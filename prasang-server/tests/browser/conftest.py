"""Fixtures of the browser suite: one release server with demo data on a free port and a
temporary data folder (its e-mail, from the bundled `email` plugin, lands as .eml files in
its outbox), Debian's Chromium driven headless by Playwright, screenshots, the axe-core
accessibility check, and venue sites on other origins that frame the booking widget.

Run by scripts/suite-browser.sh (which sets PRASANG_SERVER_BIN and installs axe-core)."""

import html
import os
import re
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import prasang_testkit as testkit
import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = Path(os.environ.get("PRASANG_SCREENSHOTS", ROOT / "target" / "screenshots"))
AXE = ROOT / "target" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# The bundled channel plugins (bash plugins/build.sh): booking e-mails and sign-in links.
PLUGINS = Path(os.environ.get("PRASANG_PLUGINS_DIR", ROOT / "target" / "plugins"))
CHROMIUM = os.environ.get("PRASANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

ADMIN = ("admin@demo.prasang.org", "demo-admin-password")
ORGANIZER = ("meera@demo.prasang.org", "demo-organizer")
ATTENDEE_PASSWORD = "demo-attendee"


@pytest.fixture(scope="session")
def server():
    """The release server with demo data (its `url`; `call` and `login` set tests up)."""
    if testkit.server_binary() is None:
        pytest.fail("set PRASANG_SERVER_BIN to a prasang-server binary (scripts/suite-browser.sh does)")
    if not (PLUGINS / "email.wasm").exists():
        pytest.fail(f"no e-mail plugin in {PLUGINS}: run bash plugins/build.sh")
    data = tempfile.mkdtemp(prefix="prasang-browser-")
    running = testkit.Server.in_folder(
        data, "--demo", "--insecure-fast-password-hashing", "--auth-rate-per-minute", "0",
        "--log", "warn", "--plugins-dir", str(PLUGINS),
    )
    yield running
    running.stop()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Visitor:
    """One person's browser context (own cookies). Fails the test if any page opens a dialog
    (alert/confirm/prompt), logs a console error (an injected script would do either; so does a
    missing icon or stylesheet) or fails to load anything it asks for.

    The one error a page may log is its own document's status when a test meant to reach an
    error page (a 404, a refused form): the browser reports that as "Failed to load resource"
    for the document's address, which is matched exactly."""

    def __init__(self, browser, server, viewport=DESKTOP, bypass_csp=False):
        self.server = server
        self.context = browser.new_context(viewport=viewport, bypass_csp=bypass_csp,
                                           base_url=server.url)
        self.page = self.context.new_page()
        self.dialogs = []
        self.errors = []
        # Documents answered with an error status: their own "Failed to load resource" is expected.
        self.error_documents = set()
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._request_failed)

    def _console(self, message):
        if message.type != "error":
            return
        # (The console names the document with the fragment of the form's action, if any.)
        document = (message.location.get("url") or "").split("#")[0]
        expected = (message.text.startswith("Failed to load resource")
                    and document in self.error_documents)
        if not expected:
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def _response(self, response):
        if response.status < 400:
            return
        if response.request.is_navigation_request():
            self.error_documents.add(response.url)
        else:
            self.errors.append(f"{response.request.method} {response.url}: {response.status}")

    def _request_failed(self, request):
        # The browser aborts what a page was still loading when it leaves it (and a navigation
        # that turns into a download, the CSV): not a failure. A missing file is a 4xx answer.
        if request.failure != "net::ERR_ABORTED":
            self.errors.append(f"{request.method} {request.url} failed: {request.failure}")

    def go(self, path):
        reply = self.page.goto(path)
        return reply

    def log_in(self, email, password):
        self.go("/login")
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password").fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log in").click()
        assert "/login" not in self.page.url, self.page.content()

    def register(self, name, email, password="a long password", role="attendee"):
        self.go("/register")
        self.page.get_by_label("Name").fill(name)
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_label("Age").fill("34")
        self.page.get_by_label("Gender").select_option("female")
        self.page.get_by_label("attend events" if role == "attendee" else "organize events").check()
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Create account").click()
        assert self.page.url.endswith("/?done=welcome"), self.page.content()

    def screenshot(self, name):
        """Saves the page at desktop and phone width into the screenshots folder."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(viewport)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        self.page.set_viewport_size(size)

    def close(self):
        assert self.dialogs == [], f"a page opened a dialog: {self.dialogs}"
        assert self.errors == [], f"console errors: {self.errors}"
        self.context.close()


@pytest.fixture
def visitors(browser, server):
    """Makes visitors; checks and closes them at the end of the test."""
    made = []

    def make(**options):
        visitor = Visitor(browser, server, **options)
        made.append(visitor)
        return visitor

    yield make
    for visitor in made:
        visitor.close()


def axe_violations(page):
    """Serious and critical axe-core violations of the current page (the context must bypass
    CSP: axe is injected as a script, which the UI's policy otherwise forbids)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: scripts/suite-browser.sh installs axe-core")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


class Venue:
    """A venue's own web site on another origin: `/frame/<path>` is a page that frames the
    server's page at `<path>` (the booking widget, `/embed/events/{id}`) in an <iframe>.
    Served on 127.0.0.1 and reached as `http://localhost:PORT`: another site than the
    server's `127.0.0.1`, so the browser applies its cross-site rules (SameSite cookies,
    frame-ancestors) as it would on a real venue's site."""

    def __init__(self, server_url):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                framed = self.path.removeprefix("/frame")
                if framed == self.path or not framed.startswith("/"):
                    self.send_error(404)
                    return
                src = html.escape(server_url + framed, quote=True)
                page = (
                    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                    '<link rel="icon" href="data:,"><title>The Venue</title></head><body>'
                    "<h1>Tonight at the venue</h1>"
                    f'<iframe title="Tickets" src="{src}" width="600" height="900"></iframe>'
                    "</body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page(self, path):
        """The address of the venue's page that frames the server's `path`."""
        return f"{self.origin}/frame{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def venues(server):
    """Two venue sites on two origins, `listed` and `unlisted` (the tests decide which one an
    organizer lists), each framing pages of `server`."""
    listed, unlisted = Venue(server.url), Venue(server.url)
    yield {"listed": listed, "unlisted": unlisted}
    listed.stop()
    unlisted.stop()


def sign_in_path(message):
    """The path and query of the sign-in link in an e-mail (`/guest/access?token=…`), which
    the test opens on the server it runs (the link's host is the server's public URL)."""
    text = testkit.mail_text(message)
    match = re.search(r"https?://[^\s/]+(/guest/access\?token=[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)
