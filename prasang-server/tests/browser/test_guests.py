"""Buying without an account in headless Chromium (issue 29): a visitor books with a name and
an e-mail address, the confirmation e-mail (read from the server's outbox) carries a sign-in
link whose page only signs in when its button is pressed, the guest sees, names and cancels
the ticket, sets a password; the link works once and not when tampered with; the "e-mail me a
link" page answers alike for every address; names per seat are enforced and reach the
organizer's attendee list."""

import csv
import io
import uuid

import prasang_testkit as testkit

from conftest import ATTENDEE_PASSWORD, ORGANIZER, sign_in_path


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_event(server, title, names="not_asked", per_user_limit=2):
    """An upcoming free event of the demo organizer asking for `names` (REST)."""
    token = server.login(*ORGANIZER)
    return server.call("POST", "/api/v1/events", token, {
        "title": title, "location": "Hall 2", "capacity": 30, "per_user_limit": per_user_limit,
        "starts_at": "2031-09-01T19:00", "ends_at": "2031-09-01T22:00",
        "time_zone": "Asia/Kolkata", "attendee_names": names,
    })


def fill_guest_form(page, name, email, seats, seat_names=()):
    """Fills the guest checkout form (of the event page or of the widget, `page` may be a
    frame locator)."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Seats").fill(str(seats))
    for seat, seat_name in enumerate(seat_names, start=1):
        page.get_by_label(f"Name on seat {seat}").fill(seat_name)


def book_as_guest(visitor, event, name, email, seats=1, seat_names=()):
    """Books `event` on its page without an account; returns the confirmation's text."""
    visitor.go(f"/events/{event['id']}")
    page = visitor.page
    fill_guest_form(page, name, email, seats, seat_names)
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator("h1").inner_text() == "Booked", page.content()
    return page.locator("section.confirmation").inner_text()


def open_link(visitor, path):
    """Opens a sign-in link's page and presses its button; returns the page reached."""
    visitor.go(path)
    with visitor.page.expect_navigation():
        visitor.page.get_by_role("button", name="Sign in").click()
    return visitor.page


def sign_in(visitor, path):
    """Signs in with a sign-in link, which must work: "My tickets" is shown."""
    page = open_link(visitor, path)
    heading = page.locator("h1").inner_text()
    assert page.url.endswith("/me/tickets?done=guest-signed-in"), f"{page.url}: {heading}"
    return page


def test_a_guest_books_opens_the_emailed_link_sees_names_and_cancels(visitors, server):
    title = unique("Guest gig")
    event = new_event(server, title, names="optional")
    email = f"{unique('gita')}@example.org"
    gita = visitors()
    confirmation = book_as_guest(gita, event, "Gita Guest", email, seats=2,
                                 seat_names=("Gita Guest", "Ravi Friend"))
    assert email in confirmation and "Seat 2: Ravi Friend" in confirmation, confirmation
    gita.screenshot("guest-booked")
    [mail] = server.mail_to(email)
    assert title in testkit.mail_text(mail)
    link = sign_in_path(mail)

    # A mail scanner (or a preview) fetching the link: a page with a button, nobody signed in,
    # the link not spent.
    scanner = visitors()
    scanner.go(link)
    assert scanner.page.get_by_role("button", name="Sign in").is_visible()
    assert not any(c["name"] == "prasang_session" for c in scanner.context.cookies())
    gita.go(link)
    assert gita.page.get_by_role("button", name="Sign in").is_visible()
    gita.screenshot("guest-link")
    gita.go("/me/tickets")
    assert "/login" in gita.page.url, "opening the link alone does not sign in"

    page = sign_in(gita, link)
    assert "Booked" in page.locator("tr", has_text=title).inner_text()
    names = page.get_by_role("region", name=f"Names on the seats for {title}")
    assert names.get_by_label("Name on seat 2").input_value() == "Ravi Friend"
    gita.screenshot("guest-tickets")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Cancel ticket for {title}").click()
    assert "Cancelled" in page.locator("tr", has_text=title).inner_text()

    # The link works once; a tampered one never.
    again = visitors()
    page = open_link(again, link)
    assert page.locator("h1").inner_text() == "This sign-in link does not work"
    assert "already used" in page.locator("[role=alert]").inner_text()
    token = link.split("token=")[1]
    tampered = link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    page = open_link(again, tampered)
    assert "not valid" in page.locator("[role=alert]").inner_text()
    again.go("/me/tickets")
    assert "/login" in again.page.url


def test_a_guest_sets_a_password_and_logs_in_with_it(visitors, server):
    title = unique("Password gig")
    event = new_event(server, title)
    email = f"{unique('hari')}@example.org"
    hari = visitors()
    book_as_guest(hari, event, "Hari Guest", email)
    page = sign_in(hari, sign_in_path(server.mail_to(email)[0]))
    with page.expect_navigation():
        page.get_by_role("link", name="Set a password").click()
    page.get_by_label("Password").fill("hari's long password")
    page.get_by_label("Gender").select_option("male")
    page.get_by_label("Age").fill("38")
    with page.expect_navigation():
        page.get_by_role("button", name="Set password").click()
    assert page.url.endswith("/me/tickets?done=password-set"), page.url
    assert page.get_by_role("link", name="Set a password").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    hari.log_in(email, "hari's long password")
    hari.go("/me/tickets")
    assert "Booked" in hari.page.locator("tr", has_text=title).inner_text()


def test_asking_for_a_link_answers_alike_for_every_address(visitors, server):
    event = new_event(server, unique("Link gig"))
    guest = f"{unique('lena')}@example.org"
    book_as_guest(visitors(), event, "Lena Guest", guest)
    server.mail_to(guest)
    account = "chen@demo.prasang.org"
    unknown = f"{unique('nobody')}@example.org"
    before = {address: len(testkit.mail_in(server.outbox(), address)) for address in (account, unknown)}

    visitor = visitors()
    answers = []
    # The guest last: once its link is in the outbox, mail for the others would be too.
    for address in (account, unknown, guest):
        reply = visitor.go("/guest/link")
        visitor.page.get_by_label("E-mail").fill(address)
        with visitor.page.expect_navigation() as sent:
            visitor.page.get_by_role("button", name="E-mail me a link").click()
        answers.append((sent.value.status, visitor.page.locator("main").inner_text()))
        assert reply.status == 200
    assert answers[0] == answers[1] == answers[2], answers
    assert "a sign-in link is on its way" in answers[0][1]
    visitor.screenshot("guest-link-sent")

    second = server.mail_to(guest, count=2)[1]
    assert sign_in_path(second).startswith("/guest/access?token=")
    after = {address: len(testkit.mail_in(server.outbox(), address)) for address in (account, unknown)}
    assert after == before, "only the guest was e-mailed"


def test_required_names_are_asked_for_every_seat_and_shown_to_the_organizer(visitors, server):
    title = unique("Named seats")
    event = new_event(server, title, names="required", per_user_limit=3)
    email = f"{unique('noor')}@example.org"
    noor = visitors()
    noor.go(f"/events/{event['id']}")
    page = noor.page
    fill_guest_form(page, "Noor Guest", email, 2, ["Noor Guest"])
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    error = page.locator("#attendee_names [role=alert]")
    assert "every seat needs a name" in error.inner_text().lower(), page.content()
    assert page.get_by_label("Name on seat 1").input_value() == "Noor Guest", "kept"
    assert page.get_by_label("E-mail").input_value() == email, "kept"
    noor.screenshot("guest-names-refused")
    page.get_by_label("Name on seat 2").fill("Zeynep Kaya")
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    assert page.locator("h1").inner_text() == "Booked", page.content()

    meera = visitors()
    meera.log_in(*ORGANIZER)
    meera.go(f"/organizer/events/{event['id']}")
    row = meera.page.locator("#attendees ~ div.table-wrap tr", has_text="Noor Guest").inner_text()
    assert "Seat 1: Noor Guest" in row and "Seat 2: Zeynep Kaya" in row, row
    reply = meera.context.request.get(f"/organizer/events/{event['id']}/attendees.csv")
    rows = list(csv.DictReader(io.StringIO(reply.text())))
    assert [(r["seat"], r["attendee_name"]) for r in rows] == [("1", "Noor Guest"), ("2", "Zeynep Kaya")]

    # An account holder is asked the same: the form refuses a missing name for them too.
    bruno = visitors()
    bruno.log_in("bruno@demo.prasang.org", ATTENDEE_PASSWORD)
    bruno.go(f"/events/{event['id']}")
    bruno.page.get_by_label("Seats").fill("1")
    with bruno.page.expect_navigation():
        bruno.page.get_by_role("button", name="Book", exact=True).click()
    assert "name" in bruno.page.locator("#attendee_names [role=alert]").inner_text()
