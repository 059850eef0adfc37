//! Sign-in rate limiting, per account and per client address: failures are counted in a window;
//! too many lock the subject out for a while. Kept in the database so every replica and a
//! restart see the same counts.

use crate::store::operators::AttemptRow;
use crate::store::{Store, StoreError};

/// How long failures are counted, and how long a lock-out lasts.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed sign-ins to one account within the window before it is locked.
pub const ACCOUNT_FAILURES: i64 = 5;
/// Failed sign-ins from one client address within the window before it is locked.
pub const ADDRESS_FAILURES: i64 = 20;

/// What is being counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Account(String),
    Address(String),
}

impl Subject {
    fn key(&self) -> String {
        match self {
            Subject::Account(email) => format!("account:{email}"),
            Subject::Address(addr) => format!("address:{addr}"),
        }
    }

    fn limit(&self) -> i64 {
        match self {
            Subject::Account(_) => ACCOUNT_FAILURES,
            Subject::Address(_) => ADDRESS_FAILURES,
        }
    }
}

/// When the subject's lock-out ends, if it is locked out now.
pub async fn locked_until(store: &Store, subject: &Subject, now: i64) -> Result<Option<i64>, StoreError> {
    Ok(store.sign_in_attempts(&subject.key()).await?.and_then(|row| row.locked_until).filter(|until| *until > now))
}

/// Counts one failure; locks the subject out once it reaches its limit within the window.
pub async fn record_failure(store: &Store, subject: &Subject, now: i64) -> Result<(), StoreError> {
    let key = subject.key();
    let previous = store.sign_in_attempts(&key).await?;
    let row = next_row(previous, subject.limit(), now);
    store.put_sign_in_attempts(&key, row).await
}

/// A success forgets the account's failures (the address keeps its count).
pub async fn record_success(store: &Store, subject: &Subject) -> Result<(), StoreError> {
    store.clear_sign_in_attempts(&subject.key()).await
}

fn next_row(previous: Option<AttemptRow>, limit: i64, now: i64) -> AttemptRow {
    let fresh = AttemptRow { failures: 0, window_start: now, locked_until: None };
    let mut row = match previous {
        Some(row) if now - row.window_start < WINDOW_MS => row,
        _ => fresh,
    };
    row.failures += 1;
    if row.failures >= limit {
        row.locked_until = Some(now + WINDOW_MS);
        // The next window starts when the lock-out ends.
        row.window_start = now + WINDOW_MS;
        row.failures = 0;
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_at_the_limit_and_counts_afresh_after_the_window() {
        let mut row = None;
        for _ in 0..4 {
            row = Some(next_row(row, 5, 1_000));
            assert_eq!(row.unwrap().locked_until, None);
        }
        let locked = next_row(row, 5, 1_000);
        assert_eq!(locked.locked_until, Some(1_000 + WINDOW_MS));
        let old = AttemptRow { failures: 4, window_start: 0, locked_until: None };
        assert_eq!(next_row(Some(old), 5, WINDOW_MS + 1).failures, 1);
    }
}
