//! Attendance from the check-in engine's own log entries: the reports agree with the door's
//! counts (each seat once, a retried scan id once, an offline seat two gates admitted once, an
//! undone admission out). The fold itself, with undo, cancellation and replay, is tested by hand
//! in `analytics/consumer/admissions.rs`.

mod common;

use std::time::Duration;

use common::World;
use common::types::{ticket_type, typed_event};
use prasang_core::analytics::{Attendance, Scope};
use prasang_core::checkin::{CheckInRequest, OfflineScan, UploadOutcome};
use prasang_core::tickets::BookingRequest;
use prasang_core::users::Role;
use prasang_core::{TicketId, Timestamp};

fn seats(booked: u64, checked_in: u64) -> Attendance {
    Attendance {
        booked_seats: booked,
        checked_in,
        no_shows: booked - checked_in,
        rate: (booked > 0).then(|| (checked_in as f64 / booked as f64 * 1000.0).round() / 1000.0),
    }
}

#[test]
fn attendance_agrees_with_the_door() {
    let world = World::new();
    let prasang = &world.prasang;
    let olga = world.user("olga", Role::Organizer);
    let (ada, bo) = (
        world.user("ada", Role::Attendee),
        world.user("bo", Role::Attendee),
    );
    let new = typed_event(
        20,
        5,
        vec![ticket_type("Adult", 0, None), ticket_type("Child", 0, None)],
    );
    let event = prasang.events().create(&olga, new).expect("event").id;
    let ada_ticket = world
        .book_with(&ada, &BookingRequest::order(event, &[(1, 2), (2, 1)], None))
        .ticket
        .id;
    let bo_ticket = world.book(&bo, event, 1).id;
    let code = |who, ticket: TicketId, seat: usize| {
        prasang.admissions().codes(who, ticket).expect("codes")[seat - 1]
            .code
            .clone()
    };
    let check_in = |code: &str, gate: &str, scan_id: &str| {
        prasang.check_ins().check_in(
            &olga,
            CheckInRequest {
                event,
                code,
                gate: gate.into(),
                scan_id: scan_id.into(),
            },
        )
    };
    world.clock.advance(Duration::from_secs(7 * 24 * 3600));
    let first = code(&ada, ada_ticket, 1);
    check_in(&first, "North", "scan-1").expect("admitted");
    // A retry of the same scan admits nothing more; another scan of the seat is refused.
    check_in(&first, "North", "scan-1").expect("replayed");
    assert!(check_in(&first, "South", "scan-2").is_err());
    check_in(&code(&bo, bo_ticket, 1), "North", "scan-3").expect("admitted");
    prasang
        .check_ins()
        .undo(&olga, event, bo_ticket, 1)
        .expect("undo");
    // Two offline gates both let Ada's child in: one admission and a conflict.
    let child = code(&ada, ada_ticket, 3);
    let scanned_at = Timestamp::from_millis(prasang.now().as_millis() - 60_000);
    for (gate, scan_id) in [("East", "offline-1"), ("West", "offline-2")] {
        let scan = OfflineScan {
            scan_id: scan_id.into(),
            code: child.clone(),
            scanned_at,
        };
        let outcome = prasang
            .check_ins()
            .upload(&olga, event, gate, &[scan])
            .expect("upload");
        assert!(
            matches!(
                outcome[0],
                UploadOutcome::Admitted(_) | UploadOutcome::Conflict(_)
            ),
            "{outcome:?}"
        );
    }
    prasang.run_analytics_once().expect("fold");

    let analytics = prasang.analytics();
    let attendance = analytics
        .attendance(&olga, Scope::Event(event))
        .expect("attendance");
    assert_eq!(attendance, seats(4, 2));
    let door = prasang.check_ins().counts(&olga, event).expect("counts");
    assert_eq!(
        (door.admitted, door.expected),
        (attendance.checked_in, attendance.booked_seats)
    );
    let by_type: Vec<_> = analytics
        .attendance_by_ticket_type(&olga, event)
        .expect("by type")
        .types
        .into_iter()
        .map(|t| (t.name, t.attendance))
        .collect();
    assert_eq!(
        by_type,
        vec![
            ("Adult".to_owned(), seats(3, 1)),
            ("Child".to_owned(), seats(1, 1))
        ]
    );
    let door_by_type: Vec<_> = door.by_type.iter().map(|t| t.admitted).collect();
    assert_eq!(door_by_type, vec![1, 1]);
    let funnel = analytics
        .funnel(&olga, Scope::Event(event))
        .expect("funnel");
    assert_eq!((funnel.booked, funnel.checked_in), (2, 1));
    let arrivals = analytics.arrivals(&olga, event).expect("arrivals");
    assert_eq!(arrivals.rows.iter().map(|r| r.checked_in).sum::<u64>(), 2);
    let admin = prasang.auth().system_actor();
    let table = prasang.export().check_ins(&admin).expect("table");
    let rows: Vec<_> = table
        .iter()
        .map(|c| (c.seat, c.ticket_type, c.offline))
        .collect();
    assert_eq!(rows, vec![(1, 1, false), (3, 2, true)]);
    assert!(["East", "West"].contains(&table[1].gate.as_str()));
    assert_eq!(table[1].scanned_at, scanned_at);
}
