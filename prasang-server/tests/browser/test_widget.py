"""The booking widget on a venue's own site, in headless Chromium (issue 29): an organizer lists
the venue's origin; the venue page (another site: `localhost` against the server's
`127.0.0.1`) frames `/embed/events/{id}`, and a visitor books as a guest inside the frame and
gets the e-mail; the same page on an origin nobody listed gets the frame blocked by the
widget's `frame-ancestors`, and no other page of the site may be framed at all.

What Chromium does with cookies there (docs/web.md): the site's cookies are SameSite=Lax, so
a cross-site frame's requests carry none of them, not even for a visitor signed in on the site
in the same browser; the widget needs none (its form token is bound to the event and the
hour, and its post comes from the framed page itself, `Origin` = the server) and sets none."""

import uuid

import prasang_testkit as testkit
from test_guests import fill_guest_form

from conftest import ORGANIZER, sign_in_path


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def take_blocked_frame_errors(visitor, path):
    """The console errors and failed loads of a frame blocked at `path`, removed from what the
    visitor fixture fails on (a blocked frame is what the test expects)."""
    blocked = [e for e in visitor.errors if path in e or "frame-ancestors" in e]
    visitor.errors = [e for e in visitor.errors if e not in blocked]
    return blocked


def test_a_venue_page_on_a_listed_origin_sells_through_the_widget(visitors, server, venues):
    listed, unlisted = venues["listed"], venues["unlisted"]
    # A new organizer, so the listed origins are this test's own.
    email, password = f"{unique('venue')}@example.org", "the venue's long password"
    server.call("POST", "/api/v1/auth/register", body={
        "name": "Vera Venue", "email": email, "password": password, "gender": "female",
        "age": 45, "role": "organizer"})
    title = unique("Rooftop set")
    event = server.call("POST", "/api/v1/events", server.login(email, password), {
        "title": title, "location": "The Venue", "capacity": 20, "per_user_limit": 2,
        "starts_at": "2031-10-01T20:00", "ends_at": "2031-10-01T23:00",
        "time_zone": "Europe/Lisbon"})
    widget = f"/embed/events/{event['id']}"

    vera = visitors()
    vera.log_in(email, password)
    vera.go("/organizer/embed")
    vera.page.get_by_label("Sites allowed to show the widget").fill(listed.origin)
    with vera.page.expect_navigation():
        vera.page.get_by_role("button", name="Save").click()
    assert vera.page.url.endswith("/organizer/embed?done=embed-saved"), vera.page.content()
    vera.go(f"/organizer/events/{event['id']}")
    snippet = vera.page.get_by_label("Snippet").input_value()
    assert f'{widget}"' in snippet and "<iframe" in snippet, snippet

    # A visitor who is signed in on the site in this browser: the frame still gets no cookie.
    ada = visitors()
    ada.log_in(*ORGANIZER)
    sent = []
    def record(request):
        if request.url.startswith(server.url + widget):
            sent.append((request.method, request.all_headers()))

    ada.page.on("request", record)
    ada.go(listed.page(widget))
    frame = ada.page.frame_locator('iframe[title="Tickets"]')
    assert frame.locator("h1").inner_text() == title
    buyer = f"{unique('ines')}@example.org"
    fill_guest_form(frame, "Inês Guest", buyer, 2)
    frame.get_by_role("button", name="Book", exact=True).click()
    confirmation = frame.locator("section.confirmation")
    confirmation.wait_for()
    assert f"We e-mailed your tickets and a sign-in link to {buyer}" in confirmation.inner_text()
    assert frame.locator("h1").inner_text() == "Booked"
    ada.screenshot("widget-booked")
    [mail] = server.mail_to(buyer)
    assert title in testkit.mail_text(mail)
    assert sign_in_path(mail).startswith("/guest/access?token=")

    methods = [method for method, _ in sent]
    assert methods == ["GET", "POST"], methods
    assert all("cookie" not in headers for _, headers in sent), "SameSite=Lax: none in the frame"
    post = sent[1][1]
    assert post["origin"] == server.url, post
    server_cookies = ada.context.cookies(server.url)
    assert {c["sameSite"] for c in server_cookies} == {"Lax"}, server_cookies
    assert not [c for c in server_cookies if c["name"] not in ("prasang_session", "prasang_browser")]

    # The same page on an origin the organizer did not list: the widget is not shown.
    bo = visitors()
    bo.go(unlisted.page(widget))
    child = bo.page.frames[1]
    child.wait_for_load_state()
    assert child.url.startswith("chrome-error:"), child.url
    assert bo.page.frame_locator('iframe[title="Tickets"]').locator("form").count() == 0
    blocked = take_blocked_frame_errors(bo, widget)
    assert any("frame-ancestors" in e and unlisted.origin not in e for e in blocked), blocked

    # No other page of the site may be framed, even by the listed origin.
    bo.go(listed.page(f"/events/{event['id']}"))
    bo.page.frames[1].wait_for_load_state()
    assert bo.page.frames[1].url.startswith("chrome-error:"), bo.page.frames[1].url
    blocked = take_blocked_frame_errors(bo, f"/events/{event['id']}")
    assert any("frame-ancestors 'none'" in e for e in blocked), blocked
