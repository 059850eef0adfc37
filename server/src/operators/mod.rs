//! Dashboard operators: accounts (email + argon2id password), their memberships in workspaces
//! (owner or member), sign-in with lock-out, sessions, and the checked [`WorkspaceHandle`] through
//! which the dashboard reaches a workspace, as a secret key reaches its [`Scope`].

pub mod password;
pub mod sessions;
pub mod throttle;

use crate::clock::Entropy;
use crate::store::operators::{MembershipRow, OperatorRow};
use crate::store::{Store, StoreError};
use crate::tenancy::{Environment, Scope, WorkspaceId};
use password::PasswordError;
use throttle::Subject;

/// An email address, trimmed and lower-cased; only its shape is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Option<Self> {
        let email = raw.trim().to_lowercase();
        let (local, domain) = email.split_once('@')?;
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        ok.then_some(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An operator's role in a workspace. Owners manage members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Member,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Role::Owner),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("an operator with this email already exists")]
    EmailTaken,
    #[error("{0}")]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates an operator, optionally with a first membership.
pub async fn create_operator(
    store: &Store,
    entropy: &dyn Entropy,
    now: i64,
    email: &Email,
    password: &str,
    membership: Option<(&WorkspaceId, Role)>,
) -> Result<OperatorRow, OperatorError> {
    let row = OperatorRow {
        id: format!("op_{}", crate::clock::random_hex(entropy, 16)),
        email: email.as_str().to_string(),
        password_hash: password::hash_password(entropy, password)?,
        created_at: now,
    };
    match store.insert_operator(&row).await {
        Err(e) if e.is_unique_violation() => return Err(OperatorError::EmailTaken),
        other => other?,
    }
    if let Some((workspace, role)) = membership {
        store.put_membership(&row.id, workspace, role.as_str(), now).await?;
    }
    Ok(row)
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the email or password is wrong")]
    WrongCredentials,
    /// Too many failures for the account or from the address; the time it ends (ms).
    #[error("too many failed sign-ins")]
    LockedOut { until: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks an email and password, counting failures per account and per client address.
/// A locked-out subject is refused before the password is looked at.
pub async fn sign_in(
    store: &Store,
    now: i64,
    email: &str,
    password: &str,
    client_address: &str,
) -> Result<OperatorRow, SignInError> {
    let account = Subject::Account(email.trim().to_lowercase());
    let address = Subject::Address(client_address.to_string());
    for subject in [&account, &address] {
        if let Some(until) = throttle::locked_until(store, subject, now).await? {
            return Err(SignInError::LockedOut { until });
        }
    }
    let found = match Email::parse(email) {
        Some(email) => store.find_operator_by_email(email.as_str()).await?,
        None => None,
    };
    let stored = found.as_ref().map_or(password::DECOY_HASH, |o| o.password_hash.as_str()).to_string();
    let candidate = password.to_string();
    // Hashing takes tens of milliseconds of CPU: off the async threads.
    let matches =
        tokio::task::spawn_blocking(move || password::verify_password(&stored, &candidate)).await.unwrap_or(false);
    match found {
        Some(operator) if matches => {
            throttle::record_success(store, &account).await?;
            Ok(operator)
        }
        _ => {
            throttle::record_failure(store, &account, now).await?;
            throttle::record_failure(store, &address, now).await?;
            Err(SignInError::WrongCredentials)
        }
    }
}

/// A workspace an operator was checked to be a member of. The only way to get one is
/// [`WorkspaceHandle::check`], so code holding one cannot reach another workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceHandle {
    workspace_id: WorkspaceId,
    role: Role,
    operator_id: String,
    operator_email: String,
}

impl WorkspaceHandle {
    /// The handle, when `operator` belongs to the workspace `raw_id`; `None` otherwise (which the
    /// dashboard answers with 404: a workspace one cannot see does not exist).
    pub async fn check(store: &Store, operator: &OperatorRow, raw_id: &str) -> Result<Option<Self>, StoreError> {
        let Some(workspace_id) = WorkspaceId::parse(raw_id) else {
            return Ok(None);
        };
        let memberships = store.memberships(&operator.id).await?;
        Ok(find_membership(&memberships, &workspace_id).map(|m| WorkspaceHandle {
            workspace_id,
            role: Role::parse(&m.role).unwrap_or(Role::Member),
            operator_id: operator.id.clone(),
            operator_email: operator.email.clone(),
        }))
    }

    pub fn workspace_id(&self) -> &WorkspaceId {
        &self.workspace_id
    }

    pub fn scope(&self, environment: Environment) -> Scope {
        Scope { workspace_id: self.workspace_id.clone(), environment }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn operator_id(&self) -> &str {
        &self.operator_id
    }

    pub fn operator_email(&self) -> &str {
        &self.operator_email
    }
}

fn find_membership<'a>(memberships: &'a [MembershipRow], id: &WorkspaceId) -> Option<&'a MembershipRow> {
    memberships.iter().find(|m| &m.workspace_id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        assert!(Email::parse("ada").is_none());
        assert!(Email::parse("ada@localhost").is_none());
        assert!(Email::parse("a da@example.com").is_none());
    }
}
