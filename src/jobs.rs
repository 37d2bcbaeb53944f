//! Several captures analysed side by side.
//!
//! One capture's analysis is a pipeline of three threads whose busiest
//! thread (decoding) sets the pace; on the bulk workload the other two are
//! mostly idle, so a second file has a core to use. [`ordered`] runs up to
//! `jobs` files at once and hands their results back in file order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

/// Set once a run has failed: the work still going on files after the
/// failing one may stop early, since its results are dropped.
#[derive(Debug, Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `work(i, &items[i], cancel)` for every item on up to `jobs` threads
/// and calls `take(i, result)` on this thread in order of `i`. With `jobs`
/// ≤ 1 it runs each `work` then its `take`, in turn, on this thread.
///
/// At most `2 × jobs` results wait for `take` at a time (a thread does not
/// start a file further ahead), so what is held is bounded whatever the
/// number of files. The first error, in file order, is returned; threads
/// start no new file after it, `cancel` tells the work still going on later
/// files, and their results are dropped. A panic in `work` is that item's
/// error, however many jobs.
pub fn ordered<I: Sync, T: Send>(
    items: &[I],
    jobs: usize,
    work: impl Fn(usize, &I, &Cancel) -> anyhow::Result<T> + Sync,
    mut take: impl FnMut(usize, T) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let count = items.len();
    if jobs <= 1 || count <= 1 {
        let never = Cancel::default();
        for (i, item) in items.iter().enumerate() {
            take(i, guarded(&work, i, item, &never)?)?;
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
        cancel: Cancel::default(),
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
                        // A panic is sent as this item's error: left unsent,
                        // it would keep `take` and the other threads waiting.
                        if tx.send((i, guarded(work, i, item, &board.cancel))).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        // However this thread leaves (a panic in `take` included), waiting
        // threads are woken and stop, so the scope can join them.
        let stop = StopOnDrop(&board);

        let mut waiting = BTreeMap::new();
        let mut want = 0;
        let mut outcome = Ok(());
        'results: for (i, r) in &rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&want) {
                let done = r.and_then(|t| take(want, t));
                want += 1;
                board.taken(want);
                if let Err(e) = done {
                    outcome = Err(e);
                    break 'results;
                }
            }
        }
        drop(stop); // no new file; work still going sees `cancel`
        drop(rx); // and then finds the channel closed
        for w in workers {
            let _ = w.join(); // `guarded` caught the work's panics
        }
        outcome?;
        if want < count {
            return Err(stopped());
        }
        Ok(())
    })
}

/// `work` with a panic turned into the item's error.
fn guarded<I, T>(
    work: &impl Fn(usize, &I, &Cancel) -> anyhow::Result<T>,
    i: usize,
    item: &I,
    cancel: &Cancel,
) -> anyhow::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(i, item, cancel)))
        .unwrap_or_else(|_| Err(stopped()))
}

fn stopped() -> anyhow::Error {
    anyhow::anyhow!("the analysis of a capture stopped unexpectedly")
}

struct StopOnDrop<'b>(&'b Board);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Which file the threads start next and how far `take` has got.
struct Board {
    state: Mutex<Turns>,
    moved: Condvar,
    cancel: Cancel,
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

    fn taken(&self, taken: usize) {
        self.lock().taken = taken;
        self.moved.notify_all();
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.cancel.set();
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
                |i, _, _| {
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
            |i, _, _| {
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
        let mut seen = Vec::new();
        let err = ordered(
            &[(); 10],
            2,
            |i, _, _| Ok(i),
            |i, _| {
                seen.push(i);
                match i {
                    3 => anyhow::bail!("disk full"),
                    _ => Ok(()),
                }
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(seen, vec![0, 1, 2, 3], "nothing is taken after the error");
    }

    /// Runs `f` on a thread and fails the test if it has not returned in 20 s.
    fn within_20s<R: Send + 'static>(
        f: impl FnOnce() -> R + Send + 'static,
    ) -> std::thread::Result<R> {
        let (tx, rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(());
            r
        });
        rx.recv_timeout(std::time::Duration::from_secs(20))
            .expect("ordered() hung");
        t.join().expect("joined")
    }

    #[test]
    fn a_panicking_analysis_is_an_error_not_a_hang() {
        for jobs in [1, 2] {
            let err = within_20s(move || {
                ordered(
                    &[(); 60],
                    jobs,
                    |i, _, _| {
                        if i == 2 {
                            panic!("boom")
                        }
                        Ok(i)
                    },
                    |_, _| Ok(()),
                )
            })
            .expect("no panic escapes")
            .unwrap_err();
            assert!(err.to_string().contains("stopped unexpectedly"), "{err}");
        }
    }

    #[test]
    fn a_panic_while_taking_wakes_the_waiting_threads() {
        // 20 items, 2 jobs: the threads fill the window and wait for `take`,
        // which panics on the first result.
        let r = within_20s(|| {
            ordered(
                &[(); 20],
                2,
                |i, _, _| Ok(i),
                |_, _| -> anyhow::Result<()> { panic!("take failed") },
            )
        });
        assert!(r.is_err(), "the panic reaches the caller");
    }

    #[test]
    fn work_on_later_files_is_told_to_stop_after_an_error() {
        let saw_cancel = AtomicUsize::new(0);
        let err = within_20s(move || {
            let r = ordered(
                &[(); 2],
                2,
                |i, _, cancel| {
                    if i == 0 {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        anyhow::bail!("file 0 is bad")
                    }
                    // A long analysis that polls, as the capture reader does.
                    let start = std::time::Instant::now();
                    while start.elapsed() < std::time::Duration::from_secs(15) {
                        if cancel.is_set() {
                            saw_cancel.fetch_add(1, Ordering::SeqCst);
                            anyhow::bail!("cancelled")
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    Ok(i)
                },
                |_, _| Ok(()),
            );
            (r, saw_cancel.load(Ordering::SeqCst))
        })
        .expect("no panic");
        assert_eq!(err.0.unwrap_err().to_string(), "file 0 is bad");
        assert_eq!(err.1, 1, "file 1 saw the cancel");
    }
}
