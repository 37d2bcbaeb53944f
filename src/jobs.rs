//! Several captures analysed side by side.
//!
//! One capture's analysis is a pipeline of three threads whose busiest
//! thread (decoding) sets the pace; on the bulk workload the other two are
//! mostly idle, so a second file has a core to use. [`ordered`] runs up to
//! `jobs` files at once and hands their results back in file order.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, PoisonError};

/// Runs `work(i, &items[i])` for every item on up to `jobs` threads and
/// calls `take(i, result)` on this thread in order of `i`. With `jobs` ≤ 1
/// it runs each `work` then its `take`, in turn, on this thread.
///
/// At most `2 × jobs` results wait for `take` at a time (a thread does not
/// start a file further ahead), so what is held is bounded whatever the
/// number of files. The first error, in file order, is returned; threads
/// start no new file after it and the results after it are dropped.
pub fn ordered<I: Sync, T: Send>(
    items: &[I],
    jobs: usize,
    work: impl Fn(usize, &I) -> anyhow::Result<T> + Sync,
    mut take: impl FnMut(usize, T) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let count = items.len();
    if jobs <= 1 || count <= 1 {
        for (i, item) in items.iter().enumerate() {
            take(i, work(i, item)?)?;
        }
        return Ok(());
    }
    let window = 2 * jobs;
    let board = Board {
        state: Mutex::new(Turns {
            next: 0,
            taken: 0,
            stop: false,
        }),
        moved: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, anyhow::Result<T>)>();
        let workers: Vec<_> = (0..jobs.min(count))
            .map(|_| {
                let tx = tx.clone();
                let (board, work) = (&board, &work);
                scope.spawn(move || {
                    while let Some((i, item)) = board
                        .claim(count, window)
                        .and_then(|i| Some((i, items.get(i)?)))
                    {
                        // A panic becomes this file's error; left unsent, it
                        // would keep `take` and the other threads waiting.
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            work(i, item)
                        }))
                        .unwrap_or_else(|_| Err(stopped()));
                        if tx.send((i, r)).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(tx);

        let mut waiting = BTreeMap::new();
        let mut want = 0;
        let mut outcome = Ok(());
        'results: for (i, r) in &rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&want) {
                let done = r.and_then(|t| take(want, t));
                want += 1;
                board.taken(want, done.is_err());
                if let Err(e) = done {
                    outcome = Err(e);
                    break 'results;
                }
            }
        }
        board.stop();
        drop(rx); // a thread still working finds the channel closed and stops
        let mut panicked = false;
        for w in workers {
            panicked |= w.join().is_err();
        }
        outcome?;
        if panicked || want < count {
            return Err(stopped());
        }
        Ok(())
    })
}

fn stopped() -> anyhow::Error {
    anyhow::anyhow!("the analysis of a capture stopped unexpectedly")
}

/// Which file the threads start next and how far `take` has got.
struct Board {
    state: Mutex<Turns>,
    moved: Condvar,
}

struct Turns {
    next: usize,
    taken: usize,
    stop: bool,
}

impl Board {
    fn lock(&self) -> std::sync::MutexGuard<'_, Turns> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next file to analyse, waiting while `window` results are ahead
    /// of `take`; `None` when there is none left or after an error.
    fn claim(&self, count: usize, window: usize) -> Option<usize> {
        let mut t = self.lock();
        loop {
            if t.stop || t.next >= count {
                return None;
            }
            if t.next < t.taken + window {
                t.next += 1;
                return Some(t.next - 1);
            }
            t = self.moved.wait(t).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn taken(&self, taken: usize, failed: bool) {
        let mut t = self.lock();
        t.taken = taken;
        t.stop |= failed;
        drop(t);
        self.moved.notify_all();
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.moved.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_come_back_in_order_with_bounded_lookahead() {
        for jobs in [1, 2, 3, 8] {
            let started = AtomicUsize::new(0);
            let taken = AtomicUsize::new(0);
            let mut seen = Vec::new();
            ordered(
                &[(); 40],
                jobs,
                |i, _| {
                    let ahead = started.fetch_add(1, Ordering::SeqCst) + 1;
                    // Never more than the window started beyond what was taken.
                    assert!(ahead <= taken.load(Ordering::SeqCst) + 2 * jobs.max(1));
                    // Later files finish first, to exercise the reordering.
                    std::thread::sleep(std::time::Duration::from_micros(((40 - i) * 50) as u64));
                    Ok(i * 10)
                },
                |i, v| {
                    assert_eq!(v, i * 10);
                    seen.push(i);
                    taken.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..40).collect::<Vec<_>>(), "jobs {jobs}");
        }
    }

    #[test]
    fn the_first_error_in_file_order_wins_and_later_results_are_not_taken() {
        let mut seen = Vec::new();
        let err = ordered(
            &[(); 20],
            2,
            |i, _| {
                if i == 5 || i == 9 {
                    anyhow::bail!("file {i} is bad")
                }
                Ok(i)
            },
            |i, _| {
                seen.push(i);
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "file 5 is bad");
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn an_error_while_taking_stops_the_run() {
        let err = ordered(
            &[(); 10],
            2,
            |i, _| Ok(i),
            |i, _| match i {
                3 => anyhow::bail!("disk full"),
                _ => Ok(()),
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
    }

    #[test]
    fn a_panicking_analysis_is_an_error_not_a_hang() {
        let err = ordered(
            &[(); 60],
            2,
            |i, _| {
                if i == 2 {
                    panic!("boom")
                }
                Ok(i)
            },
            |_, _| Ok(()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("stopped unexpectedly"), "{err}");
    }
}
