//! Crash safety of the waiting room: a child process has people join a room from several
//! threads and prints every acknowledged place; we kill it with SIGKILL mid-burst and reopen the
//! store. Every acknowledged place must be there, at the position the person was told, and no
//! two people may share a position.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prasang_core::users::{PasswordCost, Role};
use prasang_core::waiting_room::{AdmissionRate, Place, RoomSettings};
use prasang_core::{Config, EventId, Prasang, UserId};

const CHILD_ENV: &str = "PRASANG_ROOM_CRASH_DIR";
const PEOPLE: usize = 600;
const THREADS: usize = 4;
const KILL_AFTER: usize = 200;

fn open(dir: &str) -> Prasang {
    // No background tasks: nobody is admitted, so every position stays as it was told.
    let config = Config::new(dir)
        .password_cost(PasswordCost::INSECURE_FAST)
        .background_tasks(false);
    Prasang::open(config).expect("open")
}

#[test]
#[ignore = "run by a_killed_server_keeps_every_acknowledged_place"]
fn waiting_room_crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let prasang = Arc::new(open(&dir));
    let olga = common::register_actor(&prasang, "Olga", Role::Organizer);
    let event = prasang
        .events()
        .create(&olga, common::crash::event_next_year())
        .expect("event")
        .id;
    let on_sale = prasang.now().minus(Duration::from_secs(60));
    let room = RoomSettings {
        enabled: true,
        on_sale_at: on_sale,
        admission: AdmissionRate::PerMinute(1),
        pass_minutes: 10,
    };
    prasang
        .waiting_room()
        .configure(&olga, event, room)
        .expect("room on");
    let crowd: Vec<_> = (0..PEOPLE)
        .map(|n| common::register_actor(&prasang, &format!("Fan {n}"), Role::Attendee))
        .collect();
    let out = Arc::new(Mutex::new(std::io::stdout()));
    {
        let mut out = out.lock().expect("stdout");
        writeln!(out, "event {event} {}", olga.user_id()).expect("print");
        out.flush().expect("flush");
    }
    let crowd = Arc::new(crowd);
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (prasang, crowd, out) =
                (Arc::clone(&prasang), Arc::clone(&crowd), Arc::clone(&out));
            std::thread::spawn(move || {
                for person in crowd.iter().skip(thread).step_by(THREADS) {
                    let joined = prasang.waiting_room().join(person, event).expect("join");
                    let Place::Waiting { position, .. } = joined.place else {
                        panic!("not waiting: {joined:?}");
                    };
                    let mut out = out.lock().expect("stdout");
                    writeln!(out, "joined {} {position}", person.user_id()).expect("print");
                    out.flush().expect("flush");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("joiner");
    }
    // Everyone joined before the kill: wait for it.
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_killed_server_keeps_every_acknowledged_place() {
    let folder = tempfile::tempdir().expect("dir");
    let mut event = None;
    let mut organizer = None;
    let mut told: HashMap<UserId, u64> = HashMap::new();
    common::crash::run_child_and_kill(
        "waiting_room_crash_child",
        CHILD_ENV,
        folder.path(),
        KILL_AFTER,
        |line| {
            // The harness may print `test waiting_room_crash_child ... ` before the first line.
            let words: Vec<&str> = line.split_whitespace().collect();
            let start = words
                .iter()
                .position(|word| ["event", "joined"].contains(word))
                .unwrap_or(words.len());
            match &words[start..] {
                ["event", id, by] => {
                    event = Some(id.parse::<EventId>().expect("event id"));
                    organizer = Some(by.parse::<UserId>().expect("organizer id"));
                    0
                }
                ["joined", user, position] => {
                    let user = user.parse().expect("user id");
                    let position = position.parse().expect("position");
                    assert!(told.insert(user, position).is_none(), "joined twice");
                    1
                }
                _ => 0,
            }
        },
    );
    let event = event.expect("the child named its event");
    assert!(told.len() >= KILL_AFTER);

    let prasang = open(folder.path().to_str().expect("utf-8 path"));
    let rooms = prasang.waiting_room();
    for (user, position) in &told {
        let actor = prasang.auth().trusted_actor(*user).expect("registered");
        let status = rooms.status(&actor, event).expect("an acknowledged place");
        match status.place {
            Place::Waiting { position: now, .. } => assert_eq!(now, *position, "{user}"),
            other => panic!("{user}: {other:?}"),
        }
    }
    let positions: std::collections::HashSet<u64> = told.values().copied().collect();
    assert_eq!(
        positions.len(),
        told.len(),
        "two people told the same position"
    );
    let organizer = organizer.expect("the child named its organizer");
    let olga = prasang.auth().trusted_actor(organizer).expect("organizer");
    let numbers = rooms.numbers(&olga, event).expect("numbers");
    assert!(numbers.queue_length >= told.len() as u64);
    assert!(
        told.values()
            .all(|position| *position <= numbers.queue_length)
    );
}
