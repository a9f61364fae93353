//! The lottery's draws.
//!
//! Every early arrival draws a place uniformly from [0, 2^63); independent uniform draws sorted
//! are a uniform shuffle, so admitting in place order is a fair lottery whatever the arrival
//! order. The generator is a CSPRNG seeded from the OS, so nobody can predict or steer their
//! draw; tests fix the seed (`Config::lottery_seed`) to get the same draws every run.

use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::record::LATE;

/// Draws lottery places.
pub(crate) struct Lottery(Mutex<StdRng>);

impl Lottery {
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Lottery(Mutex::new(match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        }))
    }

    /// An early arrival's place.
    pub(crate) fn draw(&self) -> u64 {
        self.0.lock().gen_range(0..LATE)
    }
}
