//! argon2id password hashing, bounded.
//!
//! One argon2id hash at the recommended cost fills 19 MiB. Left alone, a burst of logins runs as
//! many hashes at once as there are blocking threads, each allocating its own 19 MiB: the
//! process grew to 1.8 GB under ~300 concurrent logins, and the allocator kept much of it.
//! [`Hashing`] runs at most a few hashes at once (about one per core; more cannot go faster),
//! each in a memory area allocated once and reused, lets a few more wait, and turns the rest
//! away at once with [`Busy`] so the caller can answer "try again shortly".

use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use parking_lot::{Condvar, Mutex};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory per hash, KiB.
    pub memory_kib: u32,
    /// Passes over that memory.
    pub iterations: u32,
}

impl PasswordCost {
    /// OWASP's recommendation for argon2id: 19 MiB, 2 passes, 1 lane.
    pub const RECOMMENDED: PasswordCost = PasswordCost {
        memory_kib: 19 * 1024,
        iterations: 2,
    };

    /// Cheap hashing for tests and load generators only: never use it for real accounts.
    pub const INSECURE_FAST: PasswordCost = PasswordCost {
        memory_kib: 64,
        iterations: 1,
    };

    fn params(self) -> Params {
        Params::new(self.memory_kib.max(8), self.iterations.max(1), 1, None).unwrap_or_default()
    }
}

/// How many password hashes may run and wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashes computed at the same time (default: the number of cores).
    pub concurrent: usize,
    /// Further requests that wait for a free slot; beyond them, requests are refused at once.
    pub queued: usize,
    /// Longest a queued request waits before it is refused.
    pub max_wait: Duration,
}

impl Default for HashingLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashingLimits {
            concurrent: cores,
            queued: 4 * cores,
            max_wait: Duration::from_secs(5),
        }
    }
}

/// Every hashing slot is taken and the queue is full (or waited too long): try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

struct Slots {
    /// Memory areas not in use; each hash borrows one and gives it back.
    free: Vec<Vec<Block>>,
    /// Areas not yet allocated (allocated on first use, so a quiet store never pays for them).
    unallocated: usize,
    waiting: usize,
}

/// The bounded hasher of one store.
pub(crate) struct Hashing {
    cost: PasswordCost,
    limits: HashingLimits,
    slots: Mutex<Slots>,
    freed: Condvar,
}

/// A borrowed memory area; returned to the pool when dropped.
struct Slot<'a> {
    hashing: &'a Hashing,
    memory: Vec<Block>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let memory = std::mem::take(&mut self.memory);
        self.hashing.slots.lock().free.push(memory);
        self.hashing.freed.notify_one();
    }
}

impl Hashing {
    pub(crate) fn new(cost: PasswordCost, limits: HashingLimits) -> Self {
        Hashing {
            cost,
            limits,
            slots: Mutex::new(Slots {
                free: Vec::new(),
                unallocated: limits.concurrent.max(1),
                waiting: 0,
            }),
            freed: Condvar::new(),
        }
    }

    fn slot(&self) -> Result<Slot<'_>, Busy> {
        let mut slots = self.slots.lock();
        let deadline = Instant::now() + self.limits.max_wait;
        let mut queued = false;
        let memory = loop {
            if let Some(memory) = slots.free.pop() {
                break memory;
            }
            if slots.unallocated > 0 {
                slots.unallocated -= 1;
                break Vec::new();
            }
            if !queued {
                if slots.waiting >= self.limits.queued {
                    return Err(Busy);
                }
                slots.waiting += 1;
                queued = true;
            }
            if self.freed.wait_until(&mut slots, deadline).timed_out() {
                slots.waiting -= 1;
                return Err(Busy);
            }
        };
        if queued {
            slots.waiting -= 1;
        }
        Ok(Slot {
            hashing: self,
            memory,
        })
    }

    /// A PHC string (`$argon2id$v=19$m=…`) for `password` with a fresh salt.
    pub(crate) fn hash(&self, password: &str) -> Result<Result<String, argon2::Error>, Busy> {
        let params = self.cost.params();
        let salt = SaltString::generate(&mut OsRng);
        let mut slot = self.slot()?;
        let mut salt_bytes = [0u8; 64];
        let hashed = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|_| argon2::Error::SaltTooShort)
            .and_then(|salt_bytes| {
                let mut output = [0u8; 32];
                compute(&params, password, salt_bytes, &mut output, &mut slot.memory)?;
                let output = Output::new(&output).map_err(|_| argon2::Error::OutputTooShort)?;
                Ok(format!(
                    "$argon2id$v=19$m={},t={},p={}${}${output}",
                    params.m_cost(),
                    params.t_cost(),
                    params.p_cost(),
                    salt.as_str()
                ))
            });
        Ok(hashed)
    }

    /// Checks `password` against a stored PHC string. The parameters come from the string itself,
    /// so hashes made under an older cost keep working.
    pub(crate) fn verify(&self, password: &str, phc: &str) -> Result<bool, Busy> {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return Ok(false);
        };
        let (Ok(params), Some(salt), Some(expected)) = (
            Params::try_from(&parsed),
            parsed.salt,
            parsed
                .hash
                .filter(|_| parsed.algorithm.as_str() == "argon2id"),
        ) else {
            return Ok(false);
        };
        let mut salt_bytes = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
            return Ok(false);
        };
        let mut slot = self.slot()?;
        let mut output = vec![0u8; expected.len()];
        let computed = compute(&params, password, salt_bytes, &mut output, &mut slot.memory);
        // `Output`'s equality is constant-time.
        Ok(computed.is_ok() && Output::new(&output).is_ok_and(|output| output == expected))
    }
}

/// One argon2id hash in `memory`, grown (once) to the size `params` asks for.
fn compute(
    params: &Params,
    password: &str,
    salt: &[u8],
    output: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        output,
        &mut memory[..blocks],
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use argon2::PasswordVerifier;

    use super::*;

    fn hashing(concurrent: usize, queued: usize) -> Hashing {
        let limits = HashingLimits {
            concurrent,
            queued,
            max_wait: Duration::from_secs(5),
        };
        Hashing::new(PasswordCost::INSECURE_FAST, limits)
    }

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let hashing = hashing(1, 0);
        let a = hashing.hash("correct horse").expect("slot").expect("hash");
        let b = hashing.hash("correct horse").expect("slot").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert_eq!(hashing.verify("correct horse", &a), Ok(true));
        assert_eq!(hashing.verify("wrong horse", &a), Ok(false));
        assert_eq!(hashing.verify("correct horse", "not a hash"), Ok(false));
    }

    #[test]
    fn hashes_are_standard_phc_strings_both_ways() {
        let hashing = hashing(1, 0);
        let ours = hashing.hash("tr0ub4dor").expect("slot").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(
            Argon2::default()
                .verify_password(b"tr0ub4dor", &parsed)
                .is_ok()
        );
        // A hash the argon2 crate made itself, at another cost, still verifies.
        let theirs = argon2::PasswordHasher::hash_password(
            &Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(128, 2, 1, None).expect("params"),
            ),
            b"tr0ub4dor",
            &SaltString::generate(&mut OsRng),
        )
        .expect("hash")
        .to_string();
        assert_eq!(hashing.verify("tr0ub4dor", &theirs), Ok(true));
    }

    #[test]
    fn beyond_the_slots_and_the_queue_callers_are_turned_away() {
        let hashing = Arc::new(hashing(1, 1));
        let held = hashing.slot().expect("the one slot");
        let waiter = {
            let hashing = Arc::clone(&hashing);
            std::thread::spawn(move || hashing.hash("queued").map(|hashed| hashed.is_ok()))
        };
        while hashing.slots.lock().waiting == 0 {
            std::thread::yield_now();
        }
        assert_eq!(hashing.hash("third").err(), Some(Busy), "the queue is full");
        drop(held);
        assert_eq!(
            waiter.join().expect("thread"),
            Ok(true),
            "the queued one ran"
        );
        let slots = hashing.slots.lock();
        assert_eq!(
            (slots.free.len(), slots.waiting),
            (1, 0),
            "one area, reused"
        );
    }

    #[test]
    fn a_queued_caller_gives_up_after_the_longest_wait() {
        let limits = HashingLimits {
            concurrent: 1,
            queued: 1,
            max_wait: Duration::from_millis(50),
        };
        let hashing = Hashing::new(PasswordCost::INSECURE_FAST, limits);
        let _held = hashing.slot().expect("the one slot");
        assert_eq!(
            hashing
                .verify(
                    "pw",
                    "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
                )
                .err(),
            Some(Busy)
        );
        assert_eq!(hashing.slots.lock().waiting, 0);
    }
}
