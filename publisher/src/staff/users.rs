//! Staff users and their roles. Accounts are created only on the server's
//! command line (`envmon user add` lands here), never over the web API:
//! whoever can create an account can sign in to it, and one person holding
//! two accounts would be two people to the approval rule.

use deadpool_postgres::GenericClient;
use envmon_core::db::DbError;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit;
use super::password::{self, MIN_PASSWORD_CHARS, PasswordError};

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Watches alarms, acknowledges them, drafts notices.
    Operator,
    /// Approves (publishes) other people's drafts, cancels notices.
    Approver,
    /// Everything, plus staff accounts and the audit log; still cannot
    /// approve a draft of their own.
    Admin,
}

impl Role {
    /// The lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Approver => "approver",
            Self::Admin => "admin",
        }
    }

    /// Whether a holder of `self` may do everything `other` may: the same
    /// role, or admin. Operator and approver do different things, so
    /// neither covers the other.
    pub fn covers(self, other: Role) -> bool {
        self == other || self == Self::Admin
    }

    /// Parses a stored or typed role name.
    ///
    /// # Errors
    /// When the name is not one of the three roles.
    pub fn parse(name: &str) -> Result<Self, UserError> {
        match name {
            "operator" => Ok(Self::Operator),
            "approver" => Ok(Self::Approver),
            "admin" => Ok(Self::Admin),
            other => Err(UserError::Role(other.to_owned())),
        }
    }
}

/// Why a user could not be added.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Not a role.
    #[error("role must be operator, approver or admin, not {0:?}")]
    Role(String),
    /// The name breaks the naming rule.
    #[error(
        "username must be 2-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
    )]
    Username,
    /// The password is too short.
    #[error("password must have at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    /// The name is taken.
    #[error("user {0} already exists")]
    Exists(String),
    /// No such user.
    #[error("no user {0}")]
    Unknown(String),
    /// Hashing failed.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<deadpool_postgres::PoolError> for UserError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(DbError::from(error))
    }
}

impl From<tokio_postgres::Error> for UserError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(DbError::from(error))
    }
}

/// Whether `name` is an acceptable username (the schema checks it too).
pub(crate) fn valid_username(name: &str) -> bool {
    let mut chars = name.chars();
    (2..=64).contains(&name.len())
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// Adds a staff user, hashing the password, and records it in the audit
/// log as done by `actor`. Returns the new user's id.
///
/// # Errors
/// On a bad name, role or password, a taken name, or a database failure.
pub async fn add_user(
    client: &mut deadpool_postgres::Client,
    actor: &str,
    username: &str,
    role: Role,
    password: &str,
) -> Result<i64, UserError> {
    if !valid_username(username) {
        return Err(UserError::Username);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::WeakPassword);
    }
    let phc = password::hash_blocking(password.to_owned()).await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "INSERT INTO staff_user (username, role, password_hash) VALUES ($1, $2, $3)
             ON CONFLICT (username) DO NOTHING RETURNING id",
            &[&username, &role.as_str(), &phc],
        )
        .await?;
    let Some(row) = row else {
        return Err(UserError::Exists(username.to_owned()));
    };
    let id: i64 = row.get(0);
    audit::append(
        &tx,
        actor,
        "user.create",
        username,
        &json!({ "role": role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Disables `username`, ends every session and revokes every API token and
/// known browser of the account, in one transaction recorded as done by
/// `actor`. Disabling ends the account's access at once; enabling it again
/// ([`enable_user`]) gives back none of them.
///
/// # Errors
/// When there is no such user or the database fails.
pub async fn disable_user(
    client: &mut deadpool_postgres::Client,
    actor: &str,
    username: &str,
) -> Result<(), UserError> {
    let tx = client.transaction().await?;
    let id: i64 = tx
        .query_opt(
            "UPDATE staff_user SET disabled = true WHERE username = $1 RETURNING id",
            &[&username],
        )
        .await?
        .ok_or_else(|| UserError::Unknown(username.to_owned()))?
        .get(0);
    let sessions = tx
        .execute("DELETE FROM staff_session WHERE user_id = $1", &[&id])
        .await?;
    let tokens = tx
        .execute(
            "UPDATE api_token SET revoked_at = now(), revoked_by = $2
             WHERE user_id = $1 AND revoked_at IS NULL",
            &[&id, &actor],
        )
        .await?;
    tx.execute("DELETE FROM staff_browser WHERE user_id = $1", &[&id])
        .await?;
    audit::append(
        &tx,
        actor,
        "user.disable",
        username,
        &json!({ "sessions_ended": sessions, "tokens_revoked": tokens }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enables `username` again (from the command line only); its old sessions
/// and tokens stay ended.
///
/// # Errors
/// When there is no such user or the database fails.
pub async fn enable_user(
    client: &mut deadpool_postgres::Client,
    actor: &str,
    username: &str,
) -> Result<(), UserError> {
    let tx = client.transaction().await?;
    tx.query_opt(
        "UPDATE staff_user SET disabled = false WHERE username = $1 RETURNING id",
        &[&username],
    )
    .await?
    .ok_or_else(|| UserError::Unknown(username.to_owned()))?;
    audit::append(&tx, actor, "user.enable", username, &json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub(crate) struct StaffUser {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) role: Role,
}

impl StaffUser {
    /// Refuses with 403 unless the user has one of `roles`.
    pub(crate) fn require(&self, roles: &[Role]) -> Result<(), crate::error::ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(crate::error::ApiError::Forbidden(
                "role",
                format!("the {} role may not do this", self.role.as_str()),
            ))
        }
    }
}

/// Loads a user by a query that selects `id, username, role`.
pub(crate) async fn load_user(
    client: &impl GenericClient,
    sql: &str,
    key: &str,
) -> Result<Option<StaffUser>, DbError> {
    let row = client.query_opt(sql, &[&key]).await?;
    Ok(row.and_then(|row| {
        let role: String = row.get(2);
        Role::parse(&role).ok().map(|role| StaffUser {
            id: row.get(0),
            username: row.get(1),
            role,
        })
    }))
}
