//! Waiting room analytics through the real room: people join before and after the on-sale
//! time and are admitted minute by minute on a simulated clock; the `waiting-room` report then
//! equals a recomputation from the log, minute by minute on the event's clock, and a restart
//! of the store folds nothing twice.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::crash::log_entries;
use common::{START, World, register_actor};
use prasang_core::analytics::csv::{Table, to_csv};
use prasang_core::analytics::{QueueOverTime, ReportName};
use prasang_core::auth::Actor;
use prasang_core::log::DomainEvent;
use prasang_core::users::{PasswordCost, Role};
use prasang_core::waiting_room::{AdmissionRate, RoomSettings};
use prasang_core::{Config, EventId, ManualClock, Prasang, Timestamp};

const MINUTE: Duration = Duration::from_secs(60);

/// Olga's event in Kolkata (UTC+05:30), its room on from `START` + 3 minutes at two people a
/// minute.
fn olgas_room(prasang: &Prasang) -> (Actor, EventId) {
    let olga = register_actor(prasang, "Olga", Role::Organizer);
    let mut new = common::new_event(100, 0, 4);
    new.time_zone = Some("Asia/Kolkata".into());
    let event = prasang.events().create(&olga, new).expect("event").id;
    let room = RoomSettings {
        enabled: true,
        on_sale_at: START.plus(3 * MINUTE),
        admission: AdmissionRate::PerMinute(2),
        pass_minutes: 10,
    };
    prasang
        .waiting_room()
        .configure(&olga, event, room)
        .expect("room on");
    (olga, event)
}

fn join(prasang: &Prasang, people: &[Actor], event: EventId) {
    for who in people {
        prasang.waiting_room().join(who, event).expect("join");
    }
}

fn report(prasang: &Prasang, olga: &Actor, event: EventId) -> QueueOverTime {
    prasang.run_analytics_once().expect("fold");
    prasang
        .analytics()
        .waiting_room(olga, event)
        .expect("waiting-room report")
}

/// (UTC minute, joined, admitted, waiting at its end) of every minute in which someone joined
/// or was admitted, counted from the log's entries alone.
fn recomputed(prasang: &Prasang, event: EventId) -> Vec<(i64, u64, u64, u64)> {
    let mut minutes: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for entry in log_entries(prasang) {
        let minute = entry.at.as_millis().div_euclid(60_000);
        match entry.event {
            DomainEvent::QueueJoined { event: of, .. } if of == event => {
                minutes.entry(minute).or_default().0 += 1;
            }
            DomainEvent::QueueAdmitted { event: of, .. } if of == event => {
                minutes.entry(minute).or_default().1 += 1;
            }
            _ => {}
        }
    }
    let mut waiting = 0;
    minutes
        .into_iter()
        .map(|(minute, (joined, admitted))| {
            waiting = waiting + joined - admitted;
            (minute, joined, admitted, waiting)
        })
        .collect()
}

/// The report's rows in the form of [`recomputed`], quiet minutes left out.
fn active(report: &QueueOverTime) -> Vec<(i64, u64, u64, u64)> {
    report
        .rows
        .iter()
        .filter(|row| row.joined + row.admitted > 0)
        .map(|row| {
            let at = Timestamp::parse_rfc3339(&row.starts_at).expect("an RFC 3339 start");
            let minute = at.as_millis().div_euclid(60_000);
            (minute, row.joined, row.admitted, row.waiting)
        })
        .collect()
}

/// Admits whoever is due at each of `minutes` minutes from now, one minute at a time; returns
/// how many were admitted in all.
fn admit_over(world: &World, minutes: u32) -> usize {
    (0..minutes)
        .map(|_| {
            world.clock.advance(MINUTE);
            world
                .prasang
                .waiting_room()
                .admit_due()
                .expect("admission step")
        })
        .sum()
}

#[test]
fn the_queue_over_time_counts_joins_and_admissions_per_minute_on_the_events_clock() {
    let world = World::with(|config| config.lottery_seed(7));
    let prasang = &world.prasang;
    let (olga, event) = olgas_room(prasang);
    let crowd: Vec<Actor> = (0..7)
        .map(|n| register_actor(prasang, &format!("Fan {n}"), Role::Attendee))
        .collect();

    // 05:30 IST: three early arrivals; 05:31: one more; 05:32: nobody; 05:33: the sale opens.
    join(prasang, &crowd[..3], event);
    world.clock.advance(MINUTE);
    join(prasang, &crowd[3..4], event);
    let admitted_before_late = admit_over(&world, 3);
    // 05:34: the late arrivals queue behind; admissions go on for another minute.
    join(prasang, &crowd[4..], event);
    let admitted = admitted_before_late + admit_over(&world, 1);
    assert!(
        admitted > 0 && admitted < crowd.len(),
        "some admitted, some still waiting: {admitted}"
    );

    let report = report(prasang, &olga, event);
    assert_eq!(report.time_zone, "Asia/Kolkata");
    let first: Vec<_> = report.rows[..3]
        .iter()
        .map(|r| (r.time.as_str(), r.joined, r.admitted, r.waiting))
        .collect();
    assert_eq!(
        first,
        vec![
            ("2030-01-01 05:30", 3, 0, 3),
            ("2030-01-01 05:31", 1, 0, 4),
            // A quiet minute has its row, with the queue as it stood.
            ("2030-01-01 05:32", 0, 0, 4),
        ]
    );
    assert_eq!(report.rows[0].starts_at, "2030-01-01T05:30:00+05:30");
    let joined: u64 = report.rows.iter().map(|r| r.joined).sum();
    let admissions: u64 = report.rows.iter().map(|r| r.admitted).sum();
    assert_eq!((joined, admissions), (7, admitted as u64));
    let last = report.rows.last().expect("rows");
    assert_eq!(last.waiting, 7 - admitted as u64);
    assert_eq!(active(&report), recomputed(prasang, event));
    // Every minute from the first join to the last admission has its row.
    let minutes: Vec<i64> = report
        .rows
        .iter()
        .map(|r| {
            Timestamp::parse_rfc3339(&r.starts_at)
                .expect("start")
                .as_millis()
                / 60_000
        })
        .collect();
    assert!(
        minutes.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{minutes:?}"
    );

    let csv = to_csv(&report as &dyn Table);
    assert!(
        csv.starts_with("starts_at,time,joined,admitted,waiting\r\n2030-01-01T05:30:00+05:30,2030-01-01 05:30,3,0,3\r\n"),
        "{csv}"
    );
    assert_eq!(
        ReportName::parse("waiting-room").expect("known"),
        ReportName::WaitingRoom
    );

    // Another organizer's analytics are not theirs to read.
    let sam = register_actor(prasang, "Sam", Role::Organizer);
    assert!(prasang.analytics().waiting_room(&sam, event).is_err());
}

fn open_at(dir: &std::path::Path, clock: &ManualClock) -> Prasang {
    let config = Config::new(dir)
        .clock(clock.clone())
        .background_tasks(false)
        .password_cost(PasswordCost::INSECURE_FAST)
        .lottery_seed(11);
    Prasang::open(config).expect("open the store")
}

#[test]
fn a_restart_counts_no_join_or_admission_twice() {
    let dir = tempfile::tempdir().expect("folder");
    let clock = ManualClock::new(START);
    let (olga, event, crowd) = {
        let prasang = open_at(dir.path(), &clock);
        let (olga, event) = olgas_room(&prasang);
        let crowd: Vec<Actor> = (0..6)
            .map(|n| register_actor(&prasang, &format!("Fan {n}"), Role::Attendee))
            .collect();
        join(&prasang, &crowd[..4], event);
        clock.advance(4 * MINUTE);
        assert!(prasang.waiting_room().admit_due().expect("admit") > 0);
        report(&prasang, &olga, event);
        // Entries logged after the last fold wait for the next one.
        join(&prasang, &crowd[4..], event);
        (olga, event, crowd)
    };

    let prasang = open_at(dir.path(), &clock);
    let olga = prasang.auth().trusted_actor(olga.user_id()).expect("Olga");
    let after_restart = report(&prasang, &olga, event);
    assert_eq!(active(&after_restart), recomputed(&prasang, event));
    let joined: u64 = after_restart.rows.iter().map(|r| r.joined).sum();
    assert_eq!(joined, crowd.len() as u64);
    // Folding again, and again after more admissions, still matches the log.
    assert_eq!(report(&prasang, &olga, event), after_restart);
    clock.advance(2 * MINUTE);
    assert!(prasang.waiting_room().admit_due().expect("admit") > 0);
    let later = report(&prasang, &olga, event);
    assert_eq!(active(&later), recomputed(&prasang, event));
    drop(prasang);

    let prasang = open_at(dir.path(), &clock);
    assert_eq!(report(&prasang, &olga, event), later);
}
