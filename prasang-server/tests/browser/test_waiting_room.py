"""A waiting room in headless Chromium: the organizer turns it on from the event's pages, a
visitor joins where the booking form was and waits on a page that reloads itself (no script)
until it says it is their turn, then books with the pass the event page's form carries; the
pages pass the axe-core check."""

import uuid
from datetime import datetime, timedelta, timezone

from conftest import ORGANIZER, axe_violations

INDIA = timezone(timedelta(hours=5, minutes=30))


def test_a_visitor_waits_in_the_room_until_their_turn_and_books_with_the_pass(visitors, server):
    organizer = server.login(*ORGANIZER)
    title = f"Flash sale {uuid.uuid4().hex[:8]}"
    event = server.call("POST", "/api/v1/events", organizer, {
        "title": title, "location": "Arena", "capacity": 100, "per_user_limit": 2,
        "starts_at": "2031-08-01T19:00", "ends_at": "2031-08-01T22:00", "time_zone": "Asia/Kolkata",
    })
    event_page = f"/events/{event['id']}"

    # The organizer sets the room up: the sale opened this minute (India's clock), 60 a minute.
    meera = visitors(bypass_csp=True)
    meera.log_in(*ORGANIZER)
    meera.go(f"/organizer/events/{event['id']}")
    with meera.page.expect_navigation():
        meera.page.get_by_role("link", name="Waiting room").click()
    with meera.page.expect_navigation():
        meera.page.get_by_role("link", name="Set up the waiting room").click()
    assert axe_violations(meera.page) == []
    meera.page.get_by_label("On-sale time").fill(datetime.now(INDIA).strftime("%Y-%m-%dT%H:%M"))
    meera.page.get_by_label("A set number of people per minute").check()
    meera.page.get_by_label("People per minute", exact=True).fill("60")
    meera.page.get_by_label("Pass lifetime (minutes)").fill("10")
    with meera.page.expect_navigation():
        meera.page.get_by_role("button", name="Save waiting room settings").click()
    assert "Changes saved." in meera.page.locator("p.notice").inner_text()
    assert meera.page.locator('meta[http-equiv="refresh"]').get_attribute("content") == "10"
    # axe calls any reload within 20 hours a violation (WCAG 2.2.1); the pages that reload
    # themselves link to a still copy ("Stop updating"), which is the one checked.
    with meera.page.expect_navigation():
        meera.page.get_by_role("link", name="Stop updating").click()
    assert meera.page.locator('meta[http-equiv="refresh"]').count() == 0
    assert axe_violations(meera.page) == []

    # A visitor finds the room where the booking form was, joins, and waits: the page reloads
    # itself (the test never reloads it) until it is their turn.
    lata = visitors(bypass_csp=True)
    lata.register("Lata Queue", f"lata-{uuid.uuid4().hex[:8]}@example.org")
    lata.go(event_page)
    assert lata.page.locator("form#book").count() == 0
    with lata.page.expect_navigation():
        lata.page.get_by_role("button", name=f"Join the waiting room for {title}").click()
    assert lata.page.url.endswith(f"{event_page}/waiting-room"), lata.page.url
    place = lata.page.locator("#place").inner_text()
    assert "in line" in place or "It is your turn." in place, place
    if "in line" in place:
        assert lata.page.locator('meta[http-equiv="refresh"]').count() == 1
        lata.go(f"{event_page}/waiting-room?still=1")
        assert axe_violations(lata.page) == []
        lata.go(f"{event_page}/waiting-room")
    lata.page.get_by_text("It is your turn.").wait_for(timeout=30_000)
    assert axe_violations(lata.page) == []
    assert lata.page.locator('meta[http-equiv="refresh"]').count() == 0
    lata.screenshot("waiting-room-turn")

    # The event page's form carries the pass; booking spends it.
    with lata.page.expect_navigation():
        lata.page.get_by_role("link", name="Book now").click()
    assert lata.page.locator('form#book input[name="pass"]').count() == 1
    assert "book before" in lata.page.locator("#main").inner_text()
    lata.page.get_by_label("Seats").fill("2")
    with lata.page.expect_navigation():
        lata.page.get_by_role("button", name="Book", exact=True).click()
    assert "/me/tickets?done=booked" in lata.page.url, lata.page.url
    lata.go(f"{event_page}/waiting-room")
    assert "Your pass was used for a booking" in lata.page.locator("#place").inner_text()

    meera.go(f"/organizer/events/{event['id']}/waiting-room")
    numbers = meera.page.locator("ul.stats").inner_text()
    assert "1\nbooked with their pass" in numbers, numbers
