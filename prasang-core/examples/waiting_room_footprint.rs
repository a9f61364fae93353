//! The memory of a waiting room with a million people in it (issue 31: "1,000,000 people
//! waiting fit in < 200 MB of RAM").
//!
//! Two processes, so that the second one's memory holds only what the room costs:
//! 1. `--fill`: registers the people and the organizer's event in a store and exits;
//! 2. `--join`: opens that store as the server would (group commit, the default cache), reads
//!    its resident memory, has every person join the room from 16 threads, then asks the status
//!    of 100,000 of them at random, and reads its memory again (resident now and at its peak).
//!
//! ```sh
//! cargo run --release -p prasang-core --example waiting_room_footprint -- \
//!     [--people 1000000] [--cache-mb 256] [--store DIR]
//! ```
//! `--cache-mb` sets the store's page cache (the default is the server's, 256 MiB); `--store`
//! keeps the filled store in DIR for later runs.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use prasang_core::auth::Actor;
use prasang_core::events::NewEvent;
use prasang_core::users::{Gender, NewUser, PasswordCost, Role, UserError};
use prasang_core::waiting_room::{AdmissionRate, RoomSettings};
use prasang_core::{
    Config, DomainError, Durability, ErrorKind, EventId, Prasang, SystemClock, UserId,
};
use prasang_http_client::usage::process_memory;

// The server's allocator, so the memory is the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const THREADS: usize = 16;
const STATUS_READS: usize = 100_000;

type Fallible<T> = Result<T, Box<dyn Error + Send + Sync>>;

fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).map(|i| i + 1);
    let people: usize = flag("--people")
        .and_then(|i| args.get(i))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    if let Some(i) = flag("--fill") {
        return fill(Path::new(&args[i]), people);
    }
    if let Some(i) = flag("--join") {
        return join(Path::new(&args[i]));
    }
    // `--store DIR` keeps the filled store in DIR for later runs (filling a million takes
    // minutes); each run joins in a copy of it.
    let kept = flag("--store").and_then(|i| args.get(i)).map(PathBuf::from);
    let temporary = tempfile::Builder::new()
        .prefix("prasang-room-footprint-")
        .tempdir()?;
    let filled = kept
        .clone()
        .unwrap_or_else(|| temporary.path().join("filled"));
    let me = std::env::current_exe()?;
    let run = |phase: &str, folder: &Path| -> Fallible<()> {
        let mut command = Command::new(&me);
        command
            .args(["--people", &people.to_string(), phase])
            .arg(folder);
        if let Some(i) = flag("--cache-mb") {
            command.args(["--cache-mb", &args[i]]);
        }
        if command.status()?.success() {
            Ok(())
        } else {
            Err(format!("{phase} failed").into())
        }
    };
    if !ids_file(&filled).exists() {
        std::fs::create_dir_all(&filled)?;
        run("--fill", &filled)?;
    }
    let copy = temporary.path().join("run");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(&filled)
        .arg(&copy)
        .status()?;
    if !copied.success() {
        return Err("copying the filled store failed".into());
    }
    run("--join", &copy)
}

fn ids_file(folder: &Path) -> PathBuf {
    folder.join("people.ids")
}

/// Registers `people` accounts and an event, writes their ids and the event's to a file.
fn fill(folder: &Path, people: usize) -> Fallible<()> {
    let config = Config::new(folder.join("data"))
        .password_cost(PasswordCost::INSECURE_FAST)
        .durability(Durability::Periodic {
            every: Duration::from_secs(1),
        });
    let prasang = Prasang::open(config)?;
    let started = Instant::now();
    let organizer = prasang
        .users()
        .register(new_user("organizer", Role::Organizer))?;
    let organizer = prasang.auth().trusted_actor(organizer.id)?;
    let now = prasang_core::Clock::now(&SystemClock);
    let event = prasang.events().create(
        &organizer,
        NewEvent {
            title: "The big on-sale".into(),
            description: String::new(),
            location: "Arena".into(),
            starts_at: now.plus(Duration::from_secs(30 * 86_400)).into(),
            ends_at: now.plus(Duration::from_secs(30 * 86_400 + 7_200)).into(),
            time_zone: None,
            capacity: 10_000,
            price_minor: 0,
            currency: "EUR".into(),
            image_url: None,
            per_user_limit: Some(4),
            ticket_types: None,
            attendee_names: Default::default(),
        },
    )?;
    prasang.waiting_room().configure(
        &organizer,
        event.id,
        RoomSettings {
            enabled: true,
            on_sale_at: now,
            admission: AdmissionRate::PerMinute(1),
            pass_minutes: 10,
        },
    )?;
    let ids: Vec<UserId> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let prasang = &prasang;
                scope.spawn(move || {
                    (thread..people)
                        .step_by(THREADS)
                        .map(|n| register(prasang, &format!("person{n}")))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a registering thread"))
            .collect::<Result<Vec<_>, _>>()
            .map(|lists| lists.concat())
    })?;
    let mut bytes = event.id.to_bytes().to_vec();
    for id in &ids {
        bytes.extend_from_slice(&id.to_bytes());
    }
    std::fs::write(ids_file(folder), bytes)?;
    drop(prasang);
    println!(
        "registered {people} people in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Opens the store, joins everyone, reads statuses, and reports the memory.
fn join(folder: &Path) -> Fallible<()> {
    let bytes = std::fs::read(ids_file(folder))?;
    let mut chunks = bytes
        .chunks_exact(16)
        .map(|chunk| <[u8; 16]>::try_from(chunk).expect("chunks of 16 bytes"));
    let event = EventId::from_bytes(chunks.next().ok_or("no event id")?);
    let ids: Vec<UserId> = chunks.map(UserId::from_bytes).collect();
    let mut config = Config::new(folder.join("data")).background_tasks(false);
    let args: Vec<String> = std::env::args().collect();
    if let Some(mb) = args
        .iter()
        .position(|a| a == "--cache-mb")
        .and_then(|i| args.get(i + 1))
        .and_then(|mb| mb.parse::<u64>().ok())
    {
        config = config.cache_bytes(mb * 1024 * 1024);
    }
    let prasang = Prasang::open(config)?;
    let opened = process_memory("self");

    let started = Instant::now();
    std::thread::scope(|scope| -> Fallible<()> {
        let workers: Vec<_> = ids
            .chunks(ids.len().div_ceil(THREADS).max(1))
            .map(|share| {
                let prasang = &prasang;
                scope.spawn(move || -> Fallible<()> {
                    for &id in share {
                        let actor: Actor = prasang.auth().trusted_actor(id)?;
                        prasang.waiting_room().join(&actor, event)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().map_err(|_| "a joining thread panicked")??;
        }
        Ok(())
    })?;
    let joined_in = started.elapsed();
    let after_joins = process_memory("self");

    let started = Instant::now();
    let mut position_sum = 0u64;
    for n in 0..STATUS_READS {
        // A fixed stride through the crowd: every status a different person, spread over all.
        let id = ids[(n * 7_919) % ids.len()];
        let actor = prasang.auth().trusted_actor(id)?;
        if let prasang_core::waiting_room::Place::Waiting { position, .. } =
            prasang.waiting_room().status(&actor, event)?.place
        {
            position_sum += position;
        }
    }
    let read_in = started.elapsed();
    let after_reads = process_memory("self");
    let admin = prasang.auth().system_actor();
    let numbers = prasang.waiting_room().numbers(&admin, event)?;
    drop(prasang);

    let people = ids.len();
    println!("| measurement | value |");
    println!("|---|---|");
    println!(
        "| people waiting (the room's count) | {} |",
        numbers.queue_length
    );
    println!(
        "| joins (16 threads, durable group commit) | {:.0}/s ({:.1} s) |",
        people as f64 / joined_in.as_secs_f64(),
        joined_in.as_secs_f64()
    );
    println!(
        "| status reads (one thread, random people) | {:.0}/s (mean position {}) |",
        STATUS_READS as f64 / read_in.as_secs_f64(),
        position_sum / STATUS_READS as u64
    );
    println!(
        "| resident memory after opening the store | {:.0} MiB |",
        opened.0
    );
    println!(
        "| resident memory after {people} joins | {:.0} MiB |",
        after_joins.0
    );
    println!(
        "| resident memory after {STATUS_READS} status reads / peak | {:.0} / {:.0} MiB |",
        after_reads.0, after_reads.1
    );
    Ok(())
}

/// Registers `name`, trying again while the password hashers are busy (they turn work away
/// rather than queue it without bound).
fn register(prasang: &Prasang, name: &str) -> Result<UserId, UserError> {
    loop {
        match prasang.users().register(new_user(name, Role::Attendee)) {
            Err(error) if error.kind() == ErrorKind::Unavailable => std::thread::yield_now(),
            registered => return registered.map(|user| user.id),
        }
    }
}

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.into(),
        email: format!("{name}@footprint.example"),
        password: "a long enough password".into(),
        gender: Gender::Undisclosed,
        age: 30,
        role,
    }
}
