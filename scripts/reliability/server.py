"""Starts the release server (PRASANG_SERVER_BIN) on a free port with a data folder, for the
suites that drive it over HTTP (schemathesis, the soak), and talks JSON to it."""

import json
import os
import re
import subprocess
import threading
import urllib.error
import urllib.request

SERVING = re.compile(r"on (http://127\.0\.0\.1:\d+)")
ORGANIZER = re.compile(r"organizer\s+(\S+@\S+)\s+password: (\S+)")


class Server:
    """A running `prasang-server`; `url` is its base URL, `banner` what it printed on start."""

    def __init__(self, data_dir, *flags, env=None):
        binary = os.environ.get("PRASANG_SERVER_BIN")
        if not binary:
            raise SystemExit("PRASANG_SERVER_BIN is not set (bash scripts/release-server.sh builds it)")
        self.folder = data_dir
        self.log_path = os.path.join(data_dir, "server.log")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [binary, "--data-dir", os.path.join(data_dir, "store"), "--bind", "127.0.0.1:0", *flags],
            stdout=subprocess.PIPE,
            stderr=self.log,
            env={**os.environ, **(env or {})},
        )
        lines = []
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            match = SERVING.search(line)
            if match:
                self.url = match.group(1)
                break
        else:
            raise SystemExit(f"the server exited before serving; log: {self.log_path}")
        # The banner goes on (demo accounts) after the URL line; read it all, then keep draining.
        self.banner_lines = lines
        self._banner_done = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for raw in self.process.stdout:
            self.banner_lines.append(raw.decode("utf-8", "replace"))
            if raw.strip() == b"" or b"same password" in raw:
                self._banner_done.set()
        self._banner_done.set()

    def demo_organizer(self):
        """(e-mail, password) of the first demo organizer the banner lists."""
        self._banner_done.wait(30)
        for line in self.banner_lines:
            match = ORGANIZER.search(line)
            if match:
                return match.group(1), match.group(2)
        raise SystemExit("no demo organizer in the banner (was --demo given to an empty store?)")

    def call(self, method, path, token=None, body=None):
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

    def login(self, email, password):
        status, session = self.call("POST", "/api/v1/auth/login", body={"email": email, "password": password})
        if status != 200:
            raise SystemExit(f"login as {email} failed: {status} {session}")
        return session["access_token"]

    def pid(self):
        return self.process.pid

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
