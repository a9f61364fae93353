//! A burst of concurrent logins at the recommended argon2id cost: how many are served, how many
//! are turned away as busy, and the process's peak memory (VmHWM). Password hashing is bounded
//! in the core, so the peak should stay near one 19 MiB area per core whatever the burst.
//!
//! ```sh
//! cargo run --release -p prasang-core --example login_storm -- 500
//! ```

use std::sync::Barrier;
use std::time::Instant;

use prasang_core::auth::AuthError;
use prasang_core::users::{Gender, NewUser, PasswordCost, Role};
use prasang_core::{Config, Prasang};

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let logins: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let prasang = Prasang::open(Config::temporary().password_cost(PasswordCost::RECOMMENDED))?;
    prasang.users().register(NewUser {
        name: "Storm".into(),
        email: "storm@example.org".into(),
        password: "a long enough password".into(),
        gender: Gender::Undisclosed,
        age: 30,
        role: Role::Attendee,
    })?;
    let before = peak_rss_mib();
    let start = Barrier::new(logins);
    let began = Instant::now();
    let outcomes: Vec<Result<(), AuthError>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..logins)
            .map(|i| {
                let (prasang, start) = (&prasang, &start);
                scope.spawn(move || {
                    start.wait();
                    // Half right, half wrong passwords: both cost one hash.
                    let password = if i % 2 == 0 {
                        "a long enough password"
                    } else {
                        "wrong"
                    };
                    match prasang.auth().login("storm@example.org", password) {
                        Ok(_) | Err(AuthError::InvalidCredentials) => Ok(()),
                        Err(error) => Err(error),
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("login thread"))
            .collect()
    });
    let served = outcomes.iter().filter(|o| o.is_ok()).count();
    let busy = outcomes
        .iter()
        .filter(|o| matches!(o, Err(AuthError::Busy)))
        .count();
    println!(
        "{logins} concurrent logins in {:.2} s: {served} answered, {busy} busy, {} other errors",
        began.elapsed().as_secs_f64(),
        logins - served - busy
    );
    println!(
        "peak RSS: {:.0} MiB before the burst, {:.0} MiB after",
        before,
        peak_rss_mib()
    );
    Ok(())
}
