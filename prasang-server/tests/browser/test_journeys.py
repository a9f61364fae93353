"""End-to-end journeys through the web UI in headless Chromium: attendee, organizer, feedback,
admin, CSRF, escaping, keyboard-only booking, accessibility (axe-core), the door page and a
waiting list's offer."""

import csv
import io
import re
import time
import uuid
from urllib.parse import urlparse

from PIL import Image
from pyzbar import pyzbar

from conftest import ADMIN, ATTENDEE_PASSWORD, ORGANIZER, PHONE, axe_violations


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def seats_left(page):
    """The number in the event page's "N seats left"."""
    text = page.locator("dl.facts").inner_text()
    match = re.search(r"(\d+) seats? left", text)
    assert match, text
    return int(match.group(1))


def test_attendee_registers_finds_books_and_cancels(visitors):
    ada = visitors()
    ada.go("/")
    ada.screenshot("home")
    email = f"{unique('ada')}@example.org"
    ada.register("Ada Attendee", email)
    ada.page.get_by_label("Search events").fill("hackathon")
    with ada.page.expect_navigation():
        ada.page.get_by_role("button", name="Search").click()
    cards = ada.page.locator("li.card")
    assert cards.count() == 1
    with ada.page.expect_navigation():
        cards.get_by_role("link", name="Community Hackathon").click()
    before = seats_left(ada.page)
    ada.screenshot("event")
    ada.page.get_by_label("Seats").fill("1")
    with ada.page.expect_navigation():
        ada.page.get_by_role("button", name="Book").click()
    assert "/me/tickets" in ada.page.url
    row = ada.page.locator("tr", has_text="Community Hackathon")
    assert "Booked" in row.inner_text()
    ada.screenshot("my-tickets")
    with ada.page.expect_navigation():
        row.get_by_role("link", name="Community Hackathon").click()
    assert seats_left(ada.page) == before - 1
    ada.go("/me/tickets")
    with ada.page.expect_navigation():
        ada.page.get_by_role("button", name="Cancel ticket for Community Hackathon").click()
    assert "Cancelled" in ada.page.locator("tr", has_text="Community Hackathon").inner_text()
    with ada.page.expect_navigation():
        ada.page.locator("tr", has_text="Community Hackathon").get_by_role("link").click()
    assert seats_left(ada.page) == before


def test_organizer_creates_an_event_and_sees_the_booking_in_charts_and_csv(visitors, server):
    meera = visitors()
    meera.log_in(*ORGANIZER)
    meera.go("/organizer")
    meera.screenshot("organizer-events")
    with meera.page.expect_navigation():
        meera.page.get_by_role("link", name="New event").click()
    title = unique("Playwright Meetup")
    form = meera.page
    form.get_by_label("Title").fill(title)
    form.get_by_label("Place").fill("Pune, Room 4")
    form.get_by_label("Starts").fill("2031-03-14T18:00")
    form.get_by_label("Ends").fill("2031-03-14T17:00")  # before the start: refused
    form.get_by_label("Seats", exact=True).fill("30")
    form.get_by_label("Price per seat").fill("15")
    with form.expect_navigation():
        form.get_by_role("button", name="Publish").click()
    error = form.locator("#f-ends_at-error")
    assert error.is_visible(), form.content()
    assert form.get_by_label("Title").input_value() == title, "the entered values are kept"
    assert form.get_by_label("Price per seat").input_value() == "15"
    assert form.get_by_label("Ends").get_attribute("aria-describedby").startswith("f-ends_at-error")
    meera.screenshot("new-event-error")
    form.get_by_label("Ends").fill("2031-03-14T21:00")
    with form.expect_navigation():
        form.get_by_role("button", name="Publish").click()
    assert "done=created" in form.url
    event_path = urlparse(form.url).path.replace("/organizer", "")

    bruno = visitors()
    bruno.log_in("bruno@demo.prasang.org", ATTENDEE_PASSWORD)
    bruno.go(event_path)
    assert bruno.page.locator("h1").inner_text() == title
    with bruno.page.expect_navigation():
        bruno.page.get_by_role("button", name="Book").click()
    held = bruno.page.locator("tr", has_text=title)
    assert "Awaiting payment" in held.inner_text() and "Held until" in held.inner_text()

    meera.go("/organizer" + event_path)
    with meera.page.expect_navigation():
        meera.page.get_by_role("button", name="Confirm payment").click()
    assert "Booked" in meera.page.locator("#attendees ~ div.table-wrap").inner_text()

    # The analytics consumer folds the log in the background: reload until it has.
    deadline = time.monotonic() + 30
    while True:
        meera.go("/organizer/analytics")
        bar = meera.page.locator(f'#chart-top rect[data-label="{title}"]')
        if bar.count() == 1 and float(bar.get_attribute("data-value")) >= 1:
            break
        assert time.monotonic() < deadline, "the booking never reached the dashboard"
        time.sleep(0.5)
    for chart in ("trend", "revenue", "funnel", "top", "age", "gender", "rating"):
        assert meera.page.locator(f"#chart-{chart} svg").count() == 1, chart
    meera.screenshot("analytics")
    with meera.page.expect_download() as download:
        meera.page.locator("#chart-top").get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path()).read())))
    assert [r for r in rows if r["title"] == title and int(r["bookings"]) == 1], rows
    trend = meera.context.request.get("/organizer/analytics/csv/trends?group_by=month")
    assert trend.status == 200 and trend.headers["content-type"].startswith("text/csv")
    assert "bookings" in trend.text().splitlines()[0]


def find_past_booking(server):
    """A past demo event of the demo organizer, and an attendee e-mail holding a booked ticket."""
    organizer = server.login(*ORGANIZER)
    admin = server.login(*ADMIN)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    events = server.call("GET", "/api/v1/me/events?limit=100", organizer)["items"]
    for event in events:
        if event["starts_at"] >= now:
            continue
        tickets = server.call("GET", f"/api/v1/events/{event['id']}/tickets?limit=100", organizer)["items"]
        for ticket in tickets:
            if ticket["status"] == "booked":
                user = server.call("GET", f"/api/v1/users/{ticket['user']}", admin)
                return event, user["email"]
    raise AssertionError("the demo data has no past booked event of the demo organizer")


def test_feedback_after_the_start_gets_a_reply(visitors, server):
    event, email = find_past_booking(server)
    attendee = visitors()
    attendee.log_in(email, ATTENDEE_PASSWORD)
    attendee.go(f"/events/{event['id']}")
    comment = '"><img src=x onerror=alert(1)> Loved it'
    attendee.page.get_by_label("Rating (1 to 5)").select_option("4")
    attendee.page.get_by_label("Comment").fill(comment)
    with attendee.page.expect_navigation():
        attendee.page.locator("#feedback ~ form button[type=submit]").click()
    assert "done=feedback" in attendee.page.url
    assert attendee.page.get_by_label("Comment").input_value() == comment

    meera = visitors()
    meera.log_in(*ORGANIZER)
    meera.go(f"/organizer/events/{event['id']}")
    item = meera.page.locator(".feedback", has_text="Loved it")
    assert comment in item.locator(".comment").inner_text(), "shown literally"
    assert meera.page.locator(".feedback img").count() == 0, "never as markup"
    reply = unique("Thank you for coming")
    item.get_by_label("Your reply").fill(reply)
    with meera.page.expect_navigation():
        item.get_by_role("button", name=re.compile("Reply|Change reply")).click()
    assert "done=replied" in meera.page.url

    attendee.go(f"/events/{event['id']}")
    assert reply in attendee.page.locator(".reply").inner_text()
    attendee.screenshot("feedback-reply")


def test_admin_grants_organizer_and_attendees_get_403_on_organizer_pages(visitors):
    email = f"{unique('grace')}@example.org"
    grace = visitors()
    grace.register("Grace", email)
    refused = grace.go("/organizer")
    assert refused.status == 403
    assert grace.page.locator("h1").inner_text() == "Not allowed"
    grace.screenshot("error-403")
    assert grace.go("/organizer/analytics").status == 403
    assert grace.go("/admin").status == 403

    admin = visitors()
    admin.log_in(*ADMIN)
    admin.go("/admin")
    admin.page.get_by_label("Find by name or e-mail").fill(email)
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Find").click()
    admin.page.get_by_label("Role").select_option("organizer")
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Change role").click()
    assert "done=role" in admin.page.url
    assert "organizer" in admin.page.locator(".card .meta").inner_text()
    admin.screenshot("admin-users")
    admin.go("/admin/integrity")
    assert "Everything agrees." in admin.page.content()

    # Grace's session carries on, refreshed with her new role.
    assert grace.go("/organizer").status == 200
    assert grace.page.locator("h1").inner_text() == "My events"


def test_a_post_without_the_token_or_from_another_site_is_refused(visitors, server):
    ada = visitors()
    ada.register("Ada", f"{unique('csrf')}@example.org")
    ada.go("/")
    with ada.page.expect_navigation():
        ada.page.locator("li.card").first.get_by_role("link").click()
    event_path = urlparse(ada.page.url).path
    # Same site, but no token (the browser's cookies go along).
    reply = ada.context.request.post(event_path + "/book", form={"quantity": "1"},
                                     headers={"origin": server.url}, max_redirects=0)
    assert reply.status == 403 and "could not be accepted" in reply.text()
    # Another site's page posting a form here (the token it cannot know; Origin: null).
    ada.page.set_content(
        f'<form method="post" action="{server.url}{event_path}/book">'
        '<input name="quantity" value="1"><input name="csrf" value="guess"><button>Go</button></form>'
    )
    with ada.page.expect_navigation():
        ada.page.get_by_role("button", name="Go").click()
    assert "could not be accepted" in ada.page.content()
    ada.go("/me/tickets")
    assert "No tickets yet" in ada.page.content()


def test_script_in_an_event_title_shows_as_text(visitors):
    meera = visitors()
    meera.log_in(*ORGANIZER)
    meera.go("/organizer/events/new")
    title = "<script>alert('title')</script>" + unique("x")
    meera.page.get_by_label("Title").fill(title)
    meera.page.get_by_label("Place").fill('"><img src=x onerror=alert(2)>')
    meera.page.get_by_label("Starts").fill("2031-05-01T10:00")
    meera.page.get_by_label("Ends").fill("2031-05-01T12:00")
    with meera.page.expect_navigation():
        meera.page.get_by_role("button", name="Publish").click()
    assert meera.page.locator("h1").inner_text() == title
    event_path = urlparse(meera.page.url).path.replace("/organizer", "")
    guest = visitors()
    guest.go(event_path)
    assert guest.page.locator("h1").inner_text() == title
    assert guest.page.locator("main script, main img").count() == 0
    guest.go("/?q=" + title[-10:])
    assert title in guest.page.locator("li.card").inner_text()
    # (The visitors fixture fails the test if any dialog opened or a script error was logged.)


def test_booking_works_with_the_keyboard_alone(visitors):
    kim = visitors()
    kim.register("Kim", f"{unique('kim')}@example.org")
    kim.go("/")
    page = kim.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    # Tab through the page to the first event's link, then follow it.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('li.card') !== null"):
            break
    else:
        raise AssertionError("no event link is reachable with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    order = []
    for _ in range(40):
        page.keyboard.press("Tab")
        label = page.evaluate(
            "(() => { const e = document.activeElement; return e.labels && e.labels.length ? "
            "e.labels[0].textContent : e.textContent })()"
        )
        order.append(label.strip())
        if label.strip() == "Seats":
            break
    assert "Seats" in order, order
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Book"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/me/tickets" in page.url
    assert page.locator("tbody tr").count() == 1


def test_main_pages_have_no_serious_accessibility_violations(visitors, server):
    event, email = find_past_booking(server)
    # An upcoming event: its page shows the booking form to someone signed in.
    upcoming = server.call("GET", "/api/v1/events?limit=1")["items"][0]
    holder = server.login(email, ATTENDEE_PASSWORD)
    booked = [t for t in server.call("GET", "/api/v1/me/tickets?limit=100", holder)["items"]
              if t["status"] == "booked"]
    checks = {
        None: ["/", "/login", "/register", f"/events/{event['id']}", "/no-such-page", "/guest/link",
               f"/events/{upcoming['id']}", f"/embed/events/{upcoming['id']}"],
        (email, ATTENDEE_PASSWORD): ["/me/tickets", "/me/notifications", f"/events/{event['id']}",
                                     f"/events/{upcoming['id']}", f"/tickets/{booked[0]['id']}/print"],
        ORGANIZER: ["/organizer", "/organizer/events/new", "/organizer/analytics", "/organizer/embed",
                    f"/organizer/events/{event['id']}", f"/organizer/events/{event['id']}/types",
                    f"/organizer/events/{event['id']}/codes", f"/organizer/events/{event['id']}/check-in",
                    f"/organizer/events/{event['id']}/waitlist",
                    f"/events/{event['id']}/door"],
        ADMIN: ["/admin"],
    }
    found = {}
    for account, paths in checks.items():
        for viewport in ({"width": 1280, "height": 900}, PHONE):
            visitor = visitors(viewport=viewport, bypass_csp=True)
            if account:
                visitor.log_in(*account)
            for path in paths:
                reply = visitor.go(path)
                size = len(reply.body())
                assert size < 50_000, f"{path} is {size} bytes"
                violations = axe_violations(visitor.page)
                if violations:
                    found[f"{path} at {viewport['width']} px"] = violations
    assert found == {}, found


def test_pages_link_an_icon_that_is_served(visitors):
    """Every page links the SVG icon, and /favicon.ico (which browsers ask for whatever a page
    links) answers too, cached: no page logs a 404 for it (the visitors fixture fails on that)."""
    visitor = visitors()
    visitor.go("/")
    icon = visitor.page.locator('link[rel="icon"]')
    assert icon.get_attribute("type") == "image/svg+xml"
    for path in (icon.get_attribute("href"), "/favicon.ico"):
        reply = visitor.context.request.get(path)
        assert reply.status == 200, path
        assert reply.headers["content-type"] == "image/svg+xml", path
        assert "max-age=604800" in reply.headers["cache-control"], path
        assert reply.body().startswith(b"<svg"), path


def test_a_buyer_books_two_adults_and_a_child_with_a_code_and_sees_the_total(visitors, server):
    token = server.login(*ORGANIZER)
    title = unique("Circus")
    event = server.call("POST", "/api/v1/events", token, {
        "title": title, "location": "Big tent", "capacity": 40, "per_user_limit": 6,
        "starts_at": "2031-05-01T19:00", "ends_at": "2031-05-01T22:00", "time_zone": "Europe/Madrid",
        "ticket_types": [
            {"name": "Adult", "price_minor": 2000},
            {"name": "Child", "price_minor": 1000, "quota": 10},
            {"name": "Ringside", "price_minor": 5000, "hidden": True},
        ],
    })
    server.call("POST", f"/api/v1/events/{event['id']}/promo-codes", token,
                {"code": "FAMILY", "discount": {"percent": 10}, "reveals": [3]})
    ada = visitors()
    ada.register("Ada Family", f"{unique('ada')}@example.org")
    ada.go(f"/events/{event['id']}")
    page = ada.page
    assert page.get_by_text("Ringside").count() == 0, "a hidden type is not listed without its code"
    page.get_by_label("Adult", exact=True).fill("2")
    page.get_by_label("Child", exact=True).fill("1")
    page.get_by_label("Promo code").fill("family")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply and show the total").click()
    assert page.get_by_label("Ringside", exact=True).count() == 1, "the code reveals Ringside"
    assert page.get_by_label("Adult", exact=True).input_value() == "2", "the seats are kept"
    total = page.locator("p.total").inner_text()
    assert "takes off EUR 5.00" in total and "Total: EUR 45.00" in total, total
    ada.screenshot("event-quote")
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    assert "/me/tickets" in page.url
    row = page.locator("tr", has_text=title).inner_text()
    assert "EUR 45.00" in row and "Adult" in row and "Child" in row and "FAMILY" in row, row
    ada.screenshot("my-tickets-types")


def test_the_door_page_admits_a_scanned_code_and_is_ready_for_the_next(visitors, server):
    """A keyboard-wedge scanner types the code and Enter: the answer shows in words, and the
    field is empty and focused again for the next scan, without any script."""
    organizer = server.login(*ORGANIZER)
    title = unique("Door night")
    event = server.call("POST", "/api/v1/events", organizer, {
        "title": title, "location": "Club", "capacity": 10, "per_user_limit": 2,
        "starts_at": "2031-06-01T20:00", "ends_at": "2031-06-01T23:00", "time_zone": "Europe/Berlin",
    })
    email = f"{unique('guest')}@example.org"
    server.call("POST", "/api/v1/auth/register", body={
        "name": "Gita Guest", "email": email, "password": "a long password", "gender": "female",
        "age": 29, "role": "attendee"})
    guest = server.login(email, "a long password")
    ticket = server.call("POST", f"/api/v1/events/{event['id']}/tickets", guest, {"quantity": 2})
    codes = server.call("GET", f"/api/v1/tickets/{ticket['id']}/admissions", guest)["seats"]
    assert [c["seat"] for c in codes] == [1, 2]

    # The printable page's QR codes, as Chromium draws them, read back by zbar: the codes.
    gita = visitors()
    gita.log_in(email, "a long password")
    gita.go(f"/tickets/{ticket['id']}/print")
    drawn = gita.page.locator(".qr svg")
    read = [symbol.data.decode() for index in range(drawn.count())
            for symbol in pyzbar.decode(Image.open(io.BytesIO(drawn.nth(index).screenshot())))]
    assert read == [c["code"] for c in codes]

    meera = visitors()
    meera.log_in(*ORGANIZER)
    meera.go(f"/events/{event['id']}/door")
    page = meera.page
    field = page.get_by_label("Scan or type an admission code")
    assert page.evaluate("document.activeElement.id") == "code", "the field has the focus at once"

    def scan(text):
        page.keyboard.type(text)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert field.input_value() == "", "the field is empty again"
        assert page.evaluate("document.activeElement.id") == "code", "and focused again"
        return page.locator("section.answer").inner_text()

    answer = scan(codes[0]["code"])
    assert answer.startswith("Admitted") and "Gita Guest" in answer and "seat 1 of 2" in answer, answer
    meera.screenshot("door-admitted")
    assert page.locator("ul.stats").inner_text().split()[:2] == ["1", "admitted"]
    answer = scan(codes[0]["code"])
    assert answer.startswith("Already admitted at") and "by gate Door" in answer, answer
    meera.screenshot("door-already-admitted")
    second = codes[1]["code"]
    answer = scan(second[:-1] + ("B" if second[-1] != "B" else "C"))
    assert answer.startswith("Invalid code"), answer
    answer = scan(codes[1]["code"])
    assert answer.startswith("Admitted") and "seat 2 of 2" in answer, answer
    assert "Gita Guest" in page.locator("table").inner_text(), "the last scans list it"

    # An attendee is not let in behind the door.
    stranger = visitors()
    stranger.log_in(email, "a long password")
    assert stranger.go(f"/events/{event['id']}/door").status in (403, 404)


def test_a_sold_out_events_waiting_list_offers_a_freed_seat_that_is_accepted(visitors, server):
    """The organizer opens the list on its page; a visitor joins on the sold-out event's page and
    sees their place; a cancellation offers them the seat, held until a deadline on the event's
    clock, and they accept it on "My tickets"."""
    organizer = server.login(*ORGANIZER)
    title = unique("Sold-out recital")
    event = server.call("POST", "/api/v1/events", organizer, {
        "title": title, "location": "Chapel", "capacity": 1, "per_user_limit": 1,
        "starts_at": "2031-07-01T19:00", "ends_at": "2031-07-01T21:00", "time_zone": "Asia/Kolkata",
    })
    meera = visitors()
    meera.log_in(*ORGANIZER)
    meera.go(f"/organizer/events/{event['id']}")
    with meera.page.expect_navigation():
        meera.page.get_by_role("link", name="Waiting list").click()
    meera.page.get_by_label("Open: people may join when seats are sold out").check()
    meera.page.get_by_label("Offer window (minutes)").fill("120")
    with meera.page.expect_navigation():
        meera.page.get_by_role("button", name="Save waiting list settings").click()
    assert "Changes saved." in meera.page.locator("p.notice").inner_text()

    email = f"{unique('holder')}@example.org"
    server.call("POST", "/api/v1/auth/register", body={
        "name": "Hari Holder", "email": email, "password": "a long password", "gender": "male",
        "age": 41, "role": "attendee"})
    holder = server.login(email, "a long password")
    ticket = server.call("POST", f"/api/v1/events/{event['id']}/tickets", holder, {"quantity": 1})

    lata = visitors(bypass_csp=True)
    lata.register("Lata Listener", f"{unique('lata')}@example.org")
    lata.go(f"/events/{event['id']}")
    with lata.page.expect_navigation():
        lata.page.get_by_role("button", name="Join the waiting list").click()
    section = lata.page.locator("ul.waitlist").inner_text()
    assert "number 1 in line" in section, section
    assert axe_violations(lata.page) == []
    lata.screenshot("waitlist-joined")
    meera.go(f"/organizer/events/{event['id']}/waitlist")
    assert "Lata Listener" in meera.page.locator("table").inner_text()

    server.call("POST", f"/api/v1/tickets/{ticket['id']}/cancel", holder)
    lata.go(f"/waitlist/{event['id']}")
    offer = lata.page.locator("ul.waitlist").inner_text()
    assert "1 seat of Admission held for you until" in offer and "IST" in offer, offer
    assert axe_violations(lata.page) == []
    lata.screenshot("waitlist-offer")
    lata.go("/me/tickets")
    with lata.page.expect_navigation():
        lata.page.get_by_role("button", name=f"Accept the offer for {title}").click()
    assert lata.page.url.endswith("/me/tickets?done=booked")
    assert "Booked" in lata.page.locator("tr", has_text=title).inner_text()
