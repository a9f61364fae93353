//! Booking → e-mail-in-the-SMTP-sink latency while a flash sale runs.
//!
//! A Prasang store (durable group commit by default) has the real e-mail plugin as its `email`
//! channel, sending through an in-process SMTP sink. Many threads book one free event with
//! limited seats for many users until it sells out; the store's own background dispatcher and
//! channel workers deliver the booking e-mails meanwhile. Each booking's latency runs from
//! `book` returning to the sink reading the end of the e-mail with that booking's Message-ID
//! (found through the delivery log: ticket → idempotency key → Message-ID).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use prasang_core::auth::Actor;
use prasang_core::notify::DeliveryPolicy;
use prasang_core::plugin_host::{HostServices, PluginHost, SmtpSettings};
use prasang_core::tickets::{BookingRequest, TicketError};
use prasang_core::users::{PasswordCost, Role};
use prasang_core::{Config, Durability, EventId, PageRequest, Prasang, TicketId};
use prasang_test_sinks::sample::{account, flash_sale};
use prasang_test_sinks::smtp::SmtpSink;

use crate::{Options, Quantiles, cpu_time, load_average, manifest};

/// How long to wait for the last e-mails after the sale ended.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

struct Sale {
    seats: u32,
    users: usize,
    booking_threads: usize,
    durability: Durability,
}

/// What one sale measured.
struct Outcome {
    bookings: usize,
    sale_time: Duration,
    booking_calls: Quantiles,
    emails: Option<Emails>,
    cpu: Duration,
}

struct Emails {
    received: usize,
    duplicates: usize,
    missing: usize,
    /// Received while the sale was still running.
    during_sale: usize,
    /// From the sale's start to the last e-mail.
    all_sent_after: Duration,
    latency: Quantiles,
}

pub fn run(options: &Options, plugins: &Path) -> Result<(), String> {
    let durability = match options.get("durability", "durable".to_owned())?.as_str() {
        "durable" => Durability::GroupCommit,
        "periodic" => Durability::Periodic {
            every: Duration::from_millis(100),
        },
        other => {
            return Err(format!(
                "--durability: `{other}` is not durable or periodic"
            ));
        }
    };
    let sale = Sale {
        seats: options.get("seats", 6_000)?,
        users: options.get("users", 3_000)?,
        booking_threads: options.get("booking-threads", 16)?,
        durability,
    };
    let workers = options.list("workers", &[2, 8])?;
    println!(
        "Flash sale: {} seats, {} users, {} booking threads, {:?}; {} cores; load average {}",
        sale.seats,
        sale.users,
        sale.booking_threads,
        sale.durability,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    println!(
        "\n| e-mail workers | bookings | sold out in s | bookings/s | book() p50 / p99 ms \
         | e-mails (dup / missing) | during the sale | all sent after s \
         | booking → e-mail p50 / p99 / max ms | CPU ms/booking |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let baseline = run_sale(&sale, None, plugins)?;
    print_row("none (no channel: ceiling)", &baseline);
    for workers in workers {
        let outcome = run_sale(&sale, Some(workers), plugins)?;
        print_row(&workers.to_string(), &outcome);
    }
    println!("\nload average {} at the end", load_average());
    Ok(())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_row(workers: &str, o: &Outcome) {
    let sale_s = o.sale_time.as_secs_f64();
    let emails = match &o.emails {
        None => "– | – | – | –".to_owned(),
        Some(e) => format!(
            "{} ({} / {}) | {} | {:.2} | {:.0} / {:.0} / {:.0}",
            e.received,
            e.duplicates,
            e.missing,
            e.during_sale,
            e.all_sent_after.as_secs_f64(),
            millis(e.latency.at(0.5)),
            millis(e.latency.at(0.99)),
            millis(e.latency.max()),
        ),
    };
    println!(
        "| {workers} | {} | {sale_s:.2} | {:.0} | {:.1} / {:.1} | {emails} | {:.2} |",
        o.bookings,
        o.bookings as f64 / sale_s,
        millis(o.booking_calls.at(0.5)),
        millis(o.booking_calls.at(0.99)),
        millis(o.cpu) / o.bookings.max(1) as f64,
    );
}

fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// One sale on a fresh store; `workers` e-mail workers, or no e-mail channel at all.
fn run_sale(sale: &Sale, workers: Option<usize>, plugins: &Path) -> Result<Outcome, String> {
    let sink = SmtpSink::start_lean();
    let mut settings = SmtpSettings::new("127.0.0.1", sink.port);
    settings.max_connections = settings
        .max_connections
        .max(u32::try_from(workers.unwrap_or(1)).unwrap_or(u32::MAX));
    let host = PluginHost::new(HostServices::smtp(settings).map_err(text)?).map_err(text)?;
    let dir = tempfile::tempdir().map_err(text)?;
    let mut config = Config::new(dir.path())
        .durability(sale.durability)
        .password_cost(PasswordCost::INSECURE_FAST)
        .background_tasks(true);
    config = match workers {
        Some(workers) => config
            .channel(
                host.load_manifest(manifest(plugins, "email")?)
                    .map_err(text)?,
            )
            .delivery_policy(DeliveryPolicy {
                workers_per_channel: workers,
                ..DeliveryPolicy::default()
            }),
        None => config.delivery_policy(DeliveryPolicy {
            default_channels: Vec::new(),
            ..DeliveryPolicy::default()
        }),
    };
    let prasang = Arc::new(Prasang::open(config).map_err(text)?);
    let (organizer, event, users) = set_up(&prasang, sale)?;

    let cpu_before = cpu_time();
    let (booked, calls, started, ended) = sell_out(&prasang, event, users, sale.booking_threads)?;
    let bookings = booked.len();
    let emails = match workers {
        None => None,
        Some(_) => Some(wait_for_emails(
            &prasang, &sink, &organizer, event, &booked, started, ended,
        )?),
    };
    let cpu = cpu_time() - cpu_before;
    let report = prasang
        .verify_integrity(&prasang.auth().system_actor())
        .map_err(text)?;
    if !report.is_ok() {
        return Err(format!("integrity: {:?}", report.problems));
    }
    Ok(Outcome {
        bookings,
        sale_time: ended - started,
        booking_calls: calls,
        emails,
        cpu,
    })
}

/// An organizer, the event on sale, and the attendees.
fn set_up(prasang: &Prasang, sale: &Sale) -> Result<(Actor, EventId, Vec<Actor>), String> {
    let register = |name: String, role| account(prasang, &name, role);
    let organizer = register("organizer".into(), Role::Organizer)?;
    let starts_at = prasang.now().plus(Duration::from_secs(86_400));
    let event = prasang
        .events()
        .create(&organizer, flash_sale(starts_at, sale.seats))
        .map_err(text)?
        .id;
    let users = (0..sale.users)
        .map(|i| register(format!("fan{i}"), Role::Attendee))
        .collect::<Result<_, _>>()?;
    Ok((organizer, event, users))
}

type Booked = Vec<(TicketId, Instant)>;

/// Books one seat at a time from `threads` threads until the event is sold out: every
/// booking's ticket and the moment `book` returned, the `book` call times, the sale's start
/// and the last booking's return.
fn sell_out(
    prasang: &Arc<Prasang>,
    event: EventId,
    users: Vec<Actor>,
    threads: usize,
) -> Result<(Booked, Quantiles, Instant, Instant), String> {
    let users = Arc::new(users);
    let sold_out = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (prasang, users) = (Arc::clone(prasang), Arc::clone(&users));
            let (sold_out, barrier) = (Arc::clone(&sold_out), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut booked = Vec::new();
                let mut calls = Vec::new();
                let request = BookingRequest {
                    attendee_names: Default::default(),
                    pass: None,
                    event,
                    quantity: 1,
                    idempotency_key: None,
                    lines: Vec::new(),
                    promo_code: None,
                };
                barrier.wait();
                let mut n = t;
                while !sold_out.load(Ordering::Relaxed) {
                    let user = &users[n % users.len()];
                    n += threads;
                    let call = Instant::now();
                    match prasang.tickets().book(user, &request) {
                        Ok(outcome) => {
                            let returned = Instant::now();
                            calls.push(returned - call);
                            booked.push((outcome.ticket.id, returned));
                        }
                        Err(TicketError::SoldOut { .. }) => sold_out.store(true, Ordering::Relaxed),
                        Err(TicketError::LimitReached { .. }) => {}
                        Err(other) => return Err(format!("booking failed: {other}")),
                    }
                }
                Ok((booked, calls))
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let mut booked = Vec::new();
    let mut calls = Vec::new();
    for worker in workers {
        let (b, c) = worker
            .join()
            .map_err(|_| "a booking thread panicked".to_owned())??;
        booked.extend(b);
        calls.extend(c);
    }
    let ended = booked.iter().map(|(_, at)| *at).max().unwrap_or(started);
    Ok((booked, Quantiles::new(calls), started, ended))
}

/// Waits for an e-mail per booking and matches each to its booking by Message-ID.
fn wait_for_emails(
    prasang: &Prasang,
    sink: &SmtpSink,
    organizer: &Actor,
    event: EventId,
    booked: &Booked,
    started: Instant,
    ended: Instant,
) -> Result<Emails, String> {
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    while sink.count() < booked.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let received = sink.take();

    // Ticket → Message-ID, through the delivery log.
    let services = HostServices::outbox("unused");
    let mut message_ids: HashMap<TicketId, String> = HashMap::new();
    let mut page = PageRequest::first(100);
    loop {
        let deliveries = prasang
            .notifications()
            .deliveries_for_event(organizer, event, &page)
            .map_err(text)?;
        for delivery in deliveries.items {
            if let Some(ticket) = &delivery.notification.ticket {
                let id = services.message_id(&delivery.notification.idempotency_key, 0);
                message_ids.insert(ticket.id, id);
            }
        }
        match deliveries.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }

    let mut arrivals: HashMap<&str, Instant> = HashMap::new();
    let mut duplicates = 0;
    for email in &received {
        let Some(id) = email.message_id.as_deref() else {
            continue;
        };
        if arrivals.insert(id, email.at).is_some() {
            duplicates += 1;
        }
    }
    let mut latencies = Vec::with_capacity(booked.len());
    let mut missing = 0;
    for (ticket, returned) in booked {
        match message_ids
            .get(ticket)
            .and_then(|id| arrivals.get(id.as_str()))
        {
            Some(arrived) => latencies.push(arrived.saturating_duration_since(*returned)),
            None => missing += 1,
        }
    }
    let last = received.iter().map(|e| e.at).max().unwrap_or(ended);
    Ok(Emails {
        received: received.len(),
        duplicates,
        missing,
        during_sale: received.iter().filter(|e| e.at <= ended).count(),
        all_sent_after: last.saturating_duration_since(started),
        latency: Quantiles::new(latencies),
    })
}
