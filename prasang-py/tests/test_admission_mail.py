"""The booking e-mail's admission codes, checked the way a third party would: the release server
with the bundled plugins books a ticket, its e-mail lands in the outbox, each inline QR image is
decoded with ZBar (pyzbar, Debian's libzbar0) and each code's Ed25519 signature is verified with
the `cryptography` package against the key the server publishes at GET /api/v1/admission-keys,
following the format in docs/check-in.md. Nothing here uses Prasang's own code to read a code."""

import base64
import datetime as dt
import email
import email.policy
import hashlib
import io
import os
import pathlib
import re
import tempfile
import time

import prasang_testkit as testkit
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image
from pyzbar import pyzbar

REPO = pathlib.Path(__file__).resolve().parents[2]
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SEATS = 3


def plugins_dir():
    """The bundled plugins scripts/test.sh built (bash plugins/build.sh)."""
    folder = pathlib.Path(os.environ.get("PRASANG_PLUGINS_DIR") or REPO / "target" / "plugins")
    assert (folder / "email.wasm").exists(), f"no e-mail plugin in {folder}: run bash plugins/build.sh"
    return folder


def ulid_bytes(text):
    """A ULID's 16 bytes from its 26 Crockford base32 characters."""
    value = 0
    for char in text.upper():
        value = value * 32 + CROCKFORD.index(char)
    return value.to_bytes(16, "big")


def rfc3339(at):
    return at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def wait_for_eml(outbox, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(outbox.glob("*.eml")) if outbox.exists() else []
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no e-mail in {outbox} after {timeout} s")


def verify(code, event_id, keys):
    """Checks `code` as docs/check-in.md says a gate does; returns (ticket bytes, seat)."""
    assert len(code) == 141 and re.fullmatch("[A-Z2-7]+", code), code
    raw = base64.b32decode(code + "=" * (-len(code) % 8))
    assert len(raw) == 88
    version, key_id, tag = raw[0], raw[1], raw[2:6]
    ticket, seat, signature = raw[6:22], int.from_bytes(raw[22:24], "big"), raw[24:]
    event = ulid_bytes(event_id)
    assert version == 1
    assert tag == hashlib.sha256(event).digest()[:4], "the event tag"
    message = b"prasang/admission/v1" + bytes([version, key_id]) + event + ticket + raw[22:24]
    keys[key_id].verify(signature, message)  # raises InvalidSignature if forged
    # The check is not vacuous: one flipped bit of the signature fails it.
    forged = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(InvalidSignature):
        keys[key_id].verify(forged, message)
    return ticket, seat


@pytest.fixture(scope="module")
def booked():
    """A server with the bundled plugins, a 3-seat booking, and the e-mail it sent."""
    if testkit.server_binary() is None:
        pytest.skip("PRASANG_SERVER_BIN is not set (scripts/test.sh sets it)")
    folder = pathlib.Path(tempfile.mkdtemp(prefix="prasang-admission-mail-"))
    server = testkit.Server.in_folder(str(folder), "--plugins-dir", str(plugins_dir()))
    try:
        tokens = {}
        for name, role in [("Olga", "organizer"), ("Ada", "attendee")]:
            mail, password = f"{name.lower()}@example.org", f"{name} has a long password"
            server.call("POST", "/api/v1/auth/register",
                        body={"name": name, "email": mail, "password": password,
                              "gender": "undisclosed", "age": 30, "role": role})
            tokens[name] = server.login(mail, password)
        now = dt.datetime.now(dt.timezone.utc)
        event = server.call("POST", "/api/v1/events", tokens["Olga"],
                            {"title": "Door test", "location": "Hall A",
                             "starts_at": rfc3339(now + dt.timedelta(days=7)),
                             "ends_at": rfc3339(now + dt.timedelta(days=7, hours=2)),
                             "capacity": 20, "price_minor": 0, "per_user_limit": SEATS})
        ticket = server.call("POST", f"/api/v1/events/{event['id']}/tickets", tokens["Ada"],
                             {"quantity": SEATS})
        files = wait_for_eml(folder / "store" / "outbox")
        assert len(files) == 1, files
        message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
        published = server.call("GET", "/api/v1/admission-keys")["keys"]
        shown = server.call("GET", f"/api/v1/tickets/{ticket['id']}/admissions", tokens["Ada"])
        yield {"event": event["id"], "ticket": ticket["id"], "message": message,
               "keys": published, "shown": [seat["code"] for seat in shown["seats"]]}
    finally:
        server.stop()


def test_each_emailed_qr_code_decodes_to_a_code_the_published_key_verifies(booked):
    message = booked["message"]
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    cids = re.findall(r'<img src="cid:([^"]+)"', html)
    assert len(cids) == SEATS, html
    images = {part["Content-ID"].strip("<>"): part for part in message.walk()
              if part.get_content_type() == "image/png"}
    assert sorted(images) == sorted(cids), "one image/png part per seat, each shown by the HTML"
    keys = {key["key_id"]: Ed25519PublicKey.from_public_bytes(
                base64.urlsafe_b64decode(key["public_key"] + "=" * (-len(key["public_key"]) % 4)))
            for key in booked["keys"] if key["algorithm"] == "Ed25519"}

    decoded = []
    for seat, cid in enumerate(cids, start=1):
        part = images[cid]
        assert part.get_content_disposition() == "inline"
        symbols = pyzbar.decode(Image.open(io.BytesIO(part.get_content())))
        assert [s.type for s in symbols] == ["QRCODE"], symbols
        code = symbols[0].data.decode("ascii")
        ticket, code_seat = verify(code, booked["event"], keys)
        assert ticket == ulid_bytes(booked["ticket"])
        assert code_seat == seat
        # The code's text is under its image in the HTML and in the plain text too.
        assert code in html[html.index(cid):], html
        assert f"Seat {seat} of {SEATS}: {code}" in text, text
        decoded.append(code)
    # The codes the holder's ticket page shows are the ones e-mailed.
    assert decoded == booked["shown"]
