"""One running release `prasang-server` for the Python suites that drive it over HTTP
(prasang-py/tests, prasang-server/tests/browser, scripts/reliability): started on a port the
system picks, its URL read from the start-up banner, and a small JSON client for set-up.

The binary is $PRASANG_SERVER_BIN (bash scripts/release-server.sh builds it). The suites put
this folder on PYTHONPATH (scripts/suite-*.sh); the reliability scripts add it themselves."""

import email
import email.policy
import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request

SERVING = re.compile(r"on (http://127\.0\.0\.1:\d+)")
ORGANIZER = re.compile(r"organizer\s+(\S+@\S+)\s+password: (\S+)")


def server_binary():
    """$PRASANG_SERVER_BIN, or None when it is not set (each suite says what to do then)."""
    return os.environ.get("PRASANG_SERVER_BIN") or None


class Server:
    """A running `prasang-server` on `store` (its --data-dir) with `flags`; `url` is its base
    URL, `log_path` the file its log goes to, `banner_lines` what it printed on start."""

    def __init__(self, store, *flags, log_path, env=None):
        binary = server_binary()
        if binary is None:
            raise RuntimeError("PRASANG_SERVER_BIN is not set (bash scripts/release-server.sh builds it)")
        self.store = store
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [binary, "--data-dir", store, "--bind", "127.0.0.1:0", *flags],
            stdout=subprocess.PIPE,
            stderr=self.log,
            env={**os.environ, **(env or {})},
        )
        self.banner_lines = []
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace")
            self.banner_lines.append(line)
            match = SERVING.search(line)
            if match:
                self.url = match.group(1)
                break
        else:
            self.process.wait()
            self.log.close()
            raise RuntimeError(f"the server exited before serving:\n{self.log_text()}")
        # The banner goes on (demo accounts) after the URL line; keep reading it, so the server
        # never blocks on a full pipe.
        self._banner_done = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    @classmethod
    def in_folder(cls, folder, *flags, env=None):
        """A server whose store is `folder`/store and whose log is `folder`/server.log."""
        server = cls(os.path.join(folder, "store"), *flags,
                     log_path=os.path.join(folder, "server.log"), env=env)
        server.folder = folder
        return server

    def _drain(self):
        for raw in self.process.stdout:
            self.banner_lines.append(raw.decode("utf-8", "replace"))
            if raw.strip() == b"" or b"same password" in raw:
                self._banner_done.set()
        self._banner_done.set()

    def outbox(self):
        """The folder the `email` plugin writes to without --smtp-host (one .eml a message)."""
        return os.path.join(self.store, "outbox")

    def mail_to(self, address, count=1, timeout=30):
        """The e-mails (`email.message.EmailMessage`, oldest first) in the outbox addressed to
        `address`, once there are at least `count` of them; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = mail_in(self.outbox(), address)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} e-mails to {address} after {timeout} s, not {count}")
            time.sleep(0.1)

    def log_text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def demo_organizer(self):
        """(e-mail, password) of the first demo organizer the banner lists."""
        self._banner_done.wait(30)
        for line in self.banner_lines:
            match = ORGANIZER.search(line)
            if match:
                return match.group(1), match.group(2)
        raise RuntimeError("no demo organizer in the banner (was --demo given to an empty store?)")

    def request(self, method, path, token=None, body=None):
        """Sends a JSON request; returns (status, parsed JSON body or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if body is not None:
            request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, raw = reply.status, reply.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, (json.loads(raw) if raw else None)

    def call(self, method, path, token=None, body=None):
        """Sends a JSON request and returns the parsed body of a success; raises
        `urllib.error.HTTPError` (status and body in its message) for any other answer."""
        status, answer = self.request(method, path, token, body)
        if status >= 400:
            raise urllib.error.HTTPError(
                self.url + path, status, f"{method} {path}: {status} {answer}", None, None)
        return answer

    def login(self, email, password):
        """The access token of a login, which must succeed."""
        return self.call("POST", "/api/v1/auth/login", body={"email": email, "password": password})[
            "access_token"
        ]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def mail_in(outbox, address):
    """The messages in the `outbox` folder addressed to `address`, oldest file first."""
    try:
        names = os.listdir(outbox)
    except FileNotFoundError:
        return []
    paths = [os.path.join(outbox, name) for name in names if name.endswith(".eml")]
    messages = []
    for path in sorted(paths, key=os.path.getmtime):
        with open(path, "rb") as file:
            message = email.message_from_binary_file(file, policy=email.policy.default)
        if address.lower() in str(message["To"]).lower():
            messages.append(message)
    return messages


def mail_text(message):
    """The plain-text body of an e-mail."""
    return message.get_body(preferencelist=("plain",)).get_content()
