"""Ticket types and promo codes: their tables, tickets by line, and the sales reports by type
and by code, on a store written through the package (no server needed)."""

import datetime as dt
import tempfile

import pyarrow as pa

import prasang

PASSWORD = " has a long password"


def rows(table):
    return pa.table(table).to_pylist()


def login(db, name):
    return db.login(f"{name.lower()}@example.org", name + PASSWORD)


def test_types_codes_lines_and_sales_by_type_and_code():
    folder = tempfile.mkdtemp()
    with prasang.open(folder, writable=True) as db:
        db.register("Olga", "olga@example.org", "Olga" + PASSWORD, role="organizer")
        db.register("Ada", "ada@example.org", "Ada" + PASSWORD)
        login(db, "Olga")
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
        event = db.create_event("Family day", "Park", start, start + dt.timedelta(hours=3), 50,
                                price_minor=2_000, per_user_limit=6)
        child = db.add_ticket_type(event, {"name": "Child", "price_minor": 500, "quota": 10})
        vip = db.add_ticket_type(event, {"name": "VIP", "price_minor": 9_000, "hidden": True})
        db.create_promo_code(event, {"code": "ten", "discount": {"percent": 10},
                                     "max_uses": 5})
        db.create_promo_code(event, {"code": "VIP-PASS", "discount": "none", "reveals": [vip]})

        login(db, "Ada")
        family = db.book(event, lines=[{"ticket_type": 1, "quantity": 2},
                                       {"ticket_type": child, "quantity": 1}], promo_code="ten")
        # 2 × 2,000 + 500, less 10%.
        assert (family["amount_minor"], family["discount_minor"]) == (4_050, 450)
        vip_seat = db.book(event, lines=[{"ticket_type": vip, "quantity": 1}],
                           promo_code="vip-pass")
        later = db.book(event)
        login(db, "Olga")
        for ticket in (family, vip_seat, later):
            db.confirm_payment(ticket["id"])
        login(db, "Ada")
        db.cancel(later["id"])
        login(db, "Olga")
        db.run_analytics()

        by_type = [(r["name"], r["bookings"], r["seats_booked"], r["cancellations"],
                    r["revenue_minor"], r["refund_minor"], r["discount_minor"])
                   for r in rows(db.by_ticket_type(event))]
        assert by_type == [
            ("Admission", 2, 2, 1, 3_600, 2_000, 400),
            ("Child", 1, 1, 0, 450, 0, 50),
            ("VIP", 1, 1, 0, 9_000, 0, 0),
        ]
        by_code = [(r["code"], r["currency"], r["seats_booked"], r["revenue_minor"],
                    r["discount_minor"]) for r in rows(db.by_promo_code(event))]
        assert by_code == [("TEN", "EUR", 3, 4_050, 450), ("VIP-PASS", "EUR", 1, 9_000, 0)]

    # Whole tables are for the system reader of a store, not for one organizer.
    with prasang.open(folder) as db:
        types = rows(db.ticket_types())
        assert [(t["ticket_type"], t["type_name"], t["price_minor"], t["quota"], t["booked"],
                 t["hidden"]) for t in types] == [
            (1, "Admission", 2_000, None, 2, False),
            (child, "Child", 500, 10, 1, False),
            (vip, "VIP", 9_000, None, 1, True),
        ]
        assert {t["event"] for t in types} == {event}
        codes = {c["code"]: c for c in rows(db.promo_codes())}
        assert (codes["TEN"]["discount"], codes["TEN"]["discount_value"]) == ("percent", 10)
        assert (codes["TEN"]["max_uses"], codes["TEN"]["used"]) == (5, 3)
        assert (codes["VIP-PASS"]["discount"], codes["VIP-PASS"]["discount_value"]) == ("none", None)
        assert all(c["active"] for c in codes.values())

        tickets = {t["id"]: t for t in rows(db.tickets())}
        assert tickets[family["id"]]["ticket_type"] is None, "two lines: see ticket_lines()"
        assert tickets[family["id"]]["promo_code"] == "TEN"
        assert tickets[vip_seat["id"]]["ticket_type"] == vip
        assert tickets[later["id"]]["discount_minor"] == 0
        lines = [line for line in rows(db.ticket_lines()) if line["ticket"] == family["id"]]
        assert [(l["ticket_type"], l["quantity"], l["unit_price_minor"], l["discount_minor"],
                 l["amount_minor"]) for l in lines] == [(1, 2, 2_000, 400, 3_600),
                                                        (child, 1, 500, 50, 450)]
        assert sum(l["amount_minor"] for l in lines) == family["amount_minor"]

        for table in ("ticket_types", "promo_codes", "ticket_lines"):
            text = str(rows(getattr(db, table)()))
            assert "@example.org" not in text and "Ada" not in text and "Olga" not in text
