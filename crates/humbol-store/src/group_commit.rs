//! Group commit: concurrent writes of one kind share one transaction.
//!
//! A provisioning cycle sends many creates at once, and each write transaction has a fixed cost beside its rows:
//! on SQLite the one writer takes the write lock and appends a commit to the WAL, on PostgreSQL each statement is
//! a round trip and each commit waits for its WAL flush. So a write joins a queue here. A write that finds no group
//! running leads one at once (a lone write waits for nothing): it takes the writes queued (up
//! to [`MAX_GROUP`]) and runs them with the group's function ([`Grouped`]: e.g. one multi-row `INSERT` per table
//! for a group of creates) in ONE write transaction ([`write_txn`]), then hands each its outcome. A write that
//! arrives while a group runs waits in the queue; a leader that finishes passes the lead to the first write
//! still waiting, so no thread leads twice while others wait.
//!
//! Each write's outcome is what its own transaction would have given: the group's function answers each write
//! (one that fails changes nothing: see [`in_savepoint`]); a commit that fails, or a connection lost, fails every
//! write of the group; a PostgreSQL deadlock or serialization failure runs the whole group again ([`write_txn`]).

use std::collections::VecDeque;
use std::sync::{mpsc, Mutex, MutexGuard, PoisonError};

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use crate::pool::{write_txn, DbConn, Pools};
use crate::StoreError;

/// The most writes one group runs: bounds a transaction's statements and the wait of its last write.
pub const MAX_GROUP: usize = 32;

/// The function that runs a group of writes in the transaction it is given: one outcome per input, in order; an
/// `Err` ends the transaction (every write of the group fails with it, or all run again after contention).
pub type Grouped<In, Out> =
    fn(&mut DbConn, &[In]) -> Result<Vec<Result<Out, StoreError>>, StoreError>;

/// The queue of writes of one kind waiting for a group (one per kind per store).
pub struct GroupCommit<In, Out> {
    run: Grouped<In, Out>,
    queue: Mutex<Queue<In, Out>>,
}

struct Queue<In, Out> {
    waiting: VecDeque<Waiting<In, Out>>,
    /// A group is running (a thread leads it).
    running: bool,
}

struct Waiting<In, Out> {
    input: In,
    reply: mpsc::Sender<Message<Out>>,
}

/// What a waiting write is told.
enum Message<Out> {
    /// Its outcome: the group it was in ended.
    Done(Result<Out, StoreError>),
    /// A leader finished and this write is the first waiting: its thread leads the next group.
    Lead,
}

impl<In, Out> std::fmt::Debug for GroupCommit<In, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl<In, Out> GroupCommit<In, Out> {
    /// Groups of writes run by `run`, one at a time. SQLite has one writer; on PostgreSQL, where groups could
    /// run side by side, one at a time makes them larger: Entra's initial cycle of 10k users took 5.8 s with
    /// one, 8.9 s with two and 8.1 s with four (`bench/run --only cycle --backends postgres`).
    pub fn new(run: Grouped<In, Out>) -> GroupCommit<In, Out> {
        GroupCommit {
            run,
            queue: Mutex::new(Queue {
                waiting: VecDeque::new(),
                running: false,
            }),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue<In, Out>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `input` as one write of a group on `pools`' write connection; blocks until its group has committed
    /// (or failed).
    pub fn write(&self, pools: &Pools, input: In) -> Result<Out, StoreError> {
        let (reply, answer) = mpsc::channel();
        let lead = {
            let mut queue = self.queue();
            queue.waiting.push_back(Waiting { input, reply });
            let lead = !queue.running;
            queue.running = true;
            lead
        };
        if lead {
            self.lead(pools);
        }
        loop {
            match answer.recv() {
                Ok(Message::Done(outcome)) => return outcome,
                Ok(Message::Lead) => self.lead(pools),
                // The leader unwound (a bug) with this write in its group.
                Err(_) => {
                    return Err(StoreError::Unavailable(
                        "the write's group stopped before answering".into(),
                    ))
                }
            }
        }
    }

    /// Leads one group: takes the writes queued, runs them in one transaction, answers each; then passes the
    /// lead on (also when unwinding: [`Leading`]).
    fn lead(&self, pools: &Pools) {
        let _leading = Leading(self);
        let (inputs, replies): (Vec<In>, Vec<_>) = {
            let mut queue = self.queue();
            let n = queue.waiting.len().min(MAX_GROUP);
            queue.waiting.drain(..n).map(|w| (w.input, w.reply)).unzip()
        };
        if inputs.is_empty() {
            // Cannot happen (only the leader takes writes, and its own is queued), but costs nothing to tell.
            return;
        }
        let outcomes = pools
            .write_for(inputs.len() as u64)
            .and_then(|mut conn| write_txn(&mut conn, |conn| (self.run)(conn, &inputs)));
        // A waiter that has gone (it cannot: it blocks on its channel) drops its outcome.
        match outcomes {
            Ok(outcomes) if outcomes.len() == inputs.len() => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Message::Done(outcome));
                }
            }
            Ok(_) => {
                for reply in replies {
                    let _ = reply.send(Message::Done(Err(StoreError::Database(
                        "a group of writes answered a different number of writes".into(),
                    ))));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Message::Done(Err(e.clone())));
                }
            }
        }
    }
}

/// Ends a lead: the first write waiting leads next, else no group runs. Under the queue's lock, so a
/// write queued after this either finds a group running (and is in it) or leads itself.
struct Leading<'a, In, Out>(&'a GroupCommit<In, Out>);

impl<In, Out> Drop for Leading<'_, In, Out> {
    fn drop(&mut self) {
        let mut queue = self.0.queue();
        match queue.waiting.front() {
            Some(next) => {
                let _ = next.reply.send(Message::Lead);
            }
            None => queue.running = false,
        }
    }
}

/// Runs `f` in a savepoint of the transaction on `conn`: a failure of `f` rolls back what it wrote, and only
/// that (the transaction goes on). A failure that ends the whole transaction (contention: the group runs again;
/// the connection lost; a savepoint that cannot be rolled back) is the outer `Err`, after the savepoint is
/// rolled back, so that [`write_txn`] ends the transaction itself.
pub fn in_savepoint<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
) -> Result<Result<T, StoreError>, StoreError> {
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction(c)?,
        DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let failure = match f(conn) {
        Ok(value) => {
            match conn {
                DbConn::Sqlite(c) => AnsiTransactionManager::commit_transaction(c)?,
                DbConn::Postgres(c) => AnsiTransactionManager::commit_transaction(c)?,
            }
            return Ok(Ok(value));
        }
        Err(e) => e,
    };
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c)?,
        DbConn::Postgres(c) => AnsiTransactionManager::rollback_transaction(c)?,
    }
    match failure {
        e @ (StoreError::Contention(_) | StoreError::Unavailable(_)) => Err(e),
        e => Ok(Err(e)),
    }
}
