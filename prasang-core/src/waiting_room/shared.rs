//! What a waiting room keeps in memory, held by the context. None of it is the truth (the
//! store is): the pass key is read from its file, the lottery's generator only draws.

use std::path::PathBuf;

use parking_lot::Mutex;

use super::arrivals::Arrivals;
use super::lottery::Lottery;
use super::pass::PassKey;

pub(crate) struct RoomShared {
    pub(crate) passes: PassKey,
    pub(crate) lottery: Lottery,
    /// One admission step at a time (the maintenance thread, or a caller of the public entry):
    /// a step scans the queue outside its transactions and must not race another.
    pub(crate) stepping: Mutex<()>,
    /// Joins waiting to be written together.
    pub(crate) arrivals: Arrivals,
}

impl RoomShared {
    /// `keys_dir`: the data folder's `keys/`; `seed`: a fixed lottery seed (tests only).
    pub(crate) fn new(keys_dir: PathBuf, seed: Option<u64>) -> Self {
        RoomShared {
            passes: PassKey::new(keys_dir),
            lottery: Lottery::new(seed),
            stepping: Mutex::new(()),
            arrivals: Arrivals::default(),
        }
    }
}
