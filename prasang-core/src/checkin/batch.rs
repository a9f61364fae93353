//! Online scans share transactions: flat combining. A gate's scan joins a queue; the first
//! caller to find no batch running decides everything queued in one transaction and one flush,
//! hands each caller its answer, and goes again if more arrived meanwhile.
//!
//! Sixteen gates scanning at once otherwise run sixteen transactions that all write the
//! event's counters, conflict, retry and wait for a flush each (BENCHMARKS.md, "Check-in").

use std::collections::HashMap;

use parking_lot::{Condvar, Mutex};

struct State<T, R> {
    queue: Vec<(u64, T)>,
    answers: HashMap<u64, R>,
    running: bool,
    next_id: u64,
}

/// A queue of items decided in batches by whichever caller gets there first.
pub(crate) struct Combiner<T, R> {
    state: Mutex<State<T, R>>,
    done: Condvar,
}

impl<T, R> Default for Combiner<T, R> {
    fn default() -> Self {
        Combiner {
            state: Mutex::new(State {
                queue: Vec::new(),
                answers: HashMap::new(),
                running: false,
                next_id: 0,
            }),
            done: Condvar::new(),
        }
    }
}

impl<T, R> Combiner<T, R> {
    /// Queues `item` and returns its answer: decided by this caller (with whatever else is
    /// queued) or by another one. `decide` answers a batch in its order, one answer per item.
    pub(crate) fn run(&self, item: T, decide: impl Fn(Vec<T>) -> Vec<R>) -> R {
        let mut state = self.state.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.queue.push((id, item));
        loop {
            if let Some(answer) = state.answers.remove(&id) {
                return answer;
            }
            if state.running {
                self.done.wait(&mut state);
                continue;
            }
            state.running = true;
            let (ids, batch): (Vec<u64>, Vec<T>) =
                std::mem::take(&mut state.queue).into_iter().unzip();
            let answers = parking_lot::MutexGuard::unlocked(&mut state, || decide(batch));
            debug_assert_eq!(answers.len(), ids.len());
            state.answers.extend(ids.into_iter().zip(answers));
            state.running = false;
            self.done.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn every_caller_gets_its_own_answer_and_batches_form_under_load() {
        let combiner = Arc::new(Combiner::<u64, u64>::default());
        let batches = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8u64)
            .map(|thread| {
                let (combiner, batches) = (Arc::clone(&combiner), Arc::clone(&batches));
                std::thread::spawn(move || {
                    for i in 0..500u64 {
                        let item = thread * 1_000 + i;
                        let answer = combiner.run(item, |batch| {
                            batches.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(std::time::Duration::from_micros(50));
                            batch.iter().map(|x| x * 2).collect()
                        });
                        assert_eq!(answer, item * 2);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        assert!(
            batches.load(Ordering::Relaxed) < 4_000,
            "callers shared batches"
        );
        assert!(combiner.state.lock().answers.is_empty());
    }
}
