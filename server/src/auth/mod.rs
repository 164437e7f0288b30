//! Who a request acts for, and what it may do: bearer tokens, the claims read from them, and
//! the scope table of SPEC §7.
//!
//! Tokens come from one of two places, an [`Authenticator`]:
//!
//! - [`oidc::Issuer`]: an OpenID Connect issuer (Microsoft Entra ID, Keycloak, Auth0 …),
//!   RS256 or ES256 tokens checked against its published keys. This is how a deployment runs.
//! - [`Keys`]: an HS256 secret shared with `userphoto-server token`, for development and tests.
//!
//! Either way the claims become a [`Principal`] by one rule ([`Principal::from_claims`]), and
//! one table decides what it may do.

pub mod hs256;
pub mod oidc;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::store::Owner;

pub use hs256::Keys;

/// The claims the server reads from a token, as Microsoft Entra ID writes them, and writes
/// into the development tokens it mints. `iss`, `aud` and `nbf` are checked on the token
/// itself (see [`oidc`]) and not kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The signed-in user's principal name (e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// The user, where the issuer writes it here instead of `upn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The user's (or, in an application token, the application's) immutable object id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// Delegated scopes, space-separated (`"User.Read User.ReadBasic.All"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// Delegated scopes where the issuer writes them as RFC 9068 does (Keycloak, Auth0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Application permissions (app roles), in a token an application got for itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// `"app"` in Entra ID's application tokens (its optional `idtyp` claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
    /// The client the token was issued to (Entra ID v2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// The client the token was issued to (Entra ID v1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The client the token was issued to (RFC 9068).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Expiry, seconds since the Unix epoch; required (a token without it is refused by name).
    #[serde(default)]
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
}

/// Where the server takes its tokens from.
#[derive(Debug, Clone)]
pub enum Authenticator {
    /// An OpenID Connect issuer: tokens signed with one of its published keys.
    Oidc(Arc<oidc::Issuer>),
    /// An HS256 secret, for development: tokens minted by `userphoto-server token`.
    Development(Box<Keys>),
}

impl From<Keys> for Authenticator {
    fn from(keys: Keys) -> Authenticator {
        Authenticator::Development(Box::new(keys))
    }
}

impl From<oidc::Issuer> for Authenticator {
    fn from(issuer: oidc::Issuer) -> Authenticator {
        Authenticator::Oidc(Arc::new(issuer))
    }
}

impl Authenticator {
    /// The principal of a request's `Authorization: Bearer` header.
    ///
    /// # Errors
    ///
    /// 401 when the header is missing or not a bearer token, or the token is malformed,
    /// badly signed, expired, for another audience or issuer, or names no one.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let token = bearer(headers)?;
        let claims = match self {
            Authenticator::Oidc(issuer) => issuer.verify(token).await?,
            Authenticator::Development(keys) => keys.verify(token)?,
        };
        Principal::from_claims(claims)
    }
}

/// The token of an `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("an Authorization: Bearer token is required"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthenticated("the Authorization header is not text"))?;
    value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| ApiError::unauthenticated("the Authorization header is not a Bearer token"))
}

/// Who a request acts for, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in user, through an application the user allowed (a delegated token).
    User {
        /// The user, lower-case.
        user: String,
        /// The delegated scopes, lower-case.
        scopes: Vec<String>,
    },
    /// An application acting on its own, with no signed-in user (an application token).
    Application {
        /// The client id of the application, for the log.
        app: String,
        /// Its application permissions, lower-case.
        roles: Vec<String>,
    },
}

/// What an operation does to a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read metadata or bytes.
    Read,
    /// Set or delete the photo.
    Write,
}

/// Which scope vocabulary applies: the Outlook REST API's (SPEC §7) or Microsoft Graph's,
/// which adds the `ProfilePhoto.*` scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// `/api/v2.0`, `/api/beta`.
    Outlook,
    /// `/v1.0`, `/beta`.
    Graph,
}

fn lower_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    words.into_iter().map(str::to_ascii_lowercase).collect()
}

impl Principal {
    /// The principal a token's claims name, as Entra ID distinguishes them: an application
    /// token is one marked `idtyp: app`, or one with `roles` and no delegated scopes; any
    /// other token is delegated and must name its user (`upn`, `preferred_username` or `oid`,
    /// in that order) and carries its scopes in `scp` (or `scope`).
    ///
    /// # Errors
    ///
    /// 401 when a delegated token names no user.
    pub fn from_claims(claims: Claims) -> Result<Principal, ApiError> {
        let delegated_scopes = claims.scp.as_deref().or(claims.scope.as_deref());
        let application = claims.idtyp.as_deref() == Some("app")
            || (delegated_scopes.is_none() && !claims.roles.is_empty());
        if application {
            let app = [&claims.azp, &claims.appid, &claims.client_id, &claims.oid]
                .into_iter()
                .find_map(|id| id.clone())
                .unwrap_or_default();
            return Ok(Principal::Application {
                app,
                roles: lower_words(claims.roles.iter().map(String::as_str)),
            });
        }
        let scopes = lower_words(delegated_scopes.unwrap_or("").split_ascii_whitespace());
        let user = [claims.upn, claims.preferred_username, claims.oid]
            .into_iter()
            .flatten()
            .map(|u| u.trim().to_lowercase())
            .find(|u| !u.is_empty())
            .ok_or_else(|| {
                ApiError::unauthenticated(
                    "the token names no user (upn, preferred_username or oid)",
                )
            })?;
        Ok(Principal::User { user, scopes })
    }

    /// The signed-in user, whom `/me` names.
    ///
    /// # Errors
    ///
    /// 400 `BadRequest` for an application token, as Graph answers it.
    pub fn me(&self) -> Result<&str, ApiError> {
        match self {
            Principal::User { user, .. } => Ok(user),
            Principal::Application { .. } => Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                ErrorCode::BAD_REQUEST,
                "/me request is only valid with delegated authentication flow.",
            )),
        }
    }

    /// Whether this principal may do `access` to the photo of `target`. An application's
    /// roles are read with the scope table's rows for another user's photo; a group's photo
    /// has rows of its own ([`group_scope_allows`]), the same for users and applications.
    pub fn allows(&self, access: Access, target: &Owner, vocabulary: Vocabulary) -> bool {
        let (words, own) = match self {
            Principal::User { user, scopes } => {
                (scopes, matches!(target, Owner::User(t) if t == user))
            }
            Principal::Application { roles, .. } => (roles, false),
        };
        words.iter().any(|word| match target {
            Owner::User(_) => scope_allows(word, access, own, vocabulary),
            Owner::Group(_) => group_scope_allows(word, access),
        })
    }

    /// `Ok` when [`allows`](Self::allows), else 403.
    ///
    /// # Errors
    ///
    /// 403 naming the scopes (or roles) that would allow the operation.
    pub fn authorize(
        &self,
        access: Access,
        target: &Owner,
        vocabulary: Vocabulary,
    ) -> Result<(), ApiError> {
        if self.allows(access, target, vocabulary) {
            return Ok(());
        }
        let own =
            matches!((self, target), (Principal::User { user, .. }, Owner::User(t)) if user == t);
        let (what, needed) = match (target, access, own) {
            (Owner::Group(_), Access::Read, _) => (
                "read a group's photo",
                "ProfilePhoto.Read.All or Group.Read.All",
            ),
            (Owner::Group(_), Access::Write, _) => (
                "change a group's photo",
                "ProfilePhoto.ReadWrite.All or Group.ReadWrite.All",
            ),
            (Owner::User(_), Access::Read, true) => ("read your photo", "User.Read"),
            (Owner::User(_), Access::Read, false) => {
                ("read another user's photo", "User.ReadBasic.All")
            }
            (Owner::User(_), Access::Write, true) => ("change your photo", "User.ReadWrite"),
            (Owner::User(_), Access::Write, false) => {
                ("change another user's photo", "User.ReadWrite.All")
            }
        };
        let message = match self {
            Principal::User { .. } => format!(
                "the token's scopes do not allow you to {what}; it needs {needed} or a broader scope"
            ),
            Principal::Application { .. } => format!(
                "the application's roles do not allow it to {what}; it needs {needed} or a broader role"
            ),
        };
        let mut error = ApiError::forbidden(message);
        if vocabulary == Vocabulary::Graph {
            error.code = ErrorCode::AUTHORIZATION_REQUEST_DENIED;
        }
        Err(error)
    }

    /// Who this is, for the log: the user, or `app:<client id>`.
    pub fn name(&self) -> String {
        match self {
            Principal::User { user, .. } => user.clone(),
            Principal::Application { app, .. } => format!("app:{app}"),
        }
    }
}

/// The scope table of SPEC §7 (scopes already lower-case); Graph adds `ProfilePhoto.*`.
fn scope_allows(scope: &str, access: Access, own: bool, vocabulary: Vocabulary) -> bool {
    let scope = match (vocabulary, scope) {
        (Vocabulary::Graph, "profilephoto.read.all") => "user.read.all",
        (Vocabulary::Graph, "profilephoto.readwrite.all") => "user.readwrite.all",
        _ => scope,
    };
    match (access, own) {
        (Access::Read, true) => matches!(
            scope,
            "user.read"
                | "user.readwrite"
                | "user.readbasic.all"
                | "user.read.all"
                | "user.readwrite.all"
        ),
        (Access::Read, false) => matches!(
            scope,
            "user.readbasic.all" | "user.read.all" | "user.readwrite.all"
        ),
        (Access::Write, true) => matches!(scope, "user.readwrite" | "user.readwrite.all"),
        (Access::Write, false) => scope == "user.readwrite.all",
    }
}

/// The scopes (or roles) that open a group's photo, as Graph documents them for
/// `/groups/{id}/photo`: read with `ProfilePhoto.Read.All`, `Group.Read.All` or
/// `Group.ReadWrite.All`; write with `ProfilePhoto.ReadWrite.All` or `Group.ReadWrite.All`.
/// Only Graph has group photos, so there is no Outlook vocabulary here.
fn group_scope_allows(scope: &str, access: Access) -> bool {
    match access {
        Access::Read => matches!(
            scope,
            "profilephoto.read.all"
                | "profilephoto.readwrite.all"
                | "group.read.all"
                | "group.readwrite.all"
        ),
        Access::Write => matches!(scope, "profilephoto.readwrite.all" | "group.readwrite.all"),
    }
}

/// Parses a lifetime such as `90s`, `15m`, `1h`, `7d` (a bare number is seconds).
///
/// # Errors
///
/// A message when the text is not a number with one of those units.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 15m, 1h or 7d"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?} has an unknown unit; use s, m, h or d")),
    };
    number
        .checked_mul(factor)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of_user(name: &str) -> Owner {
        Owner::User(name.to_owned())
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn profile_photo_scopes_only_on_graph() {
        let p = Principal::User {
            user: "a@x.com".into(),
            scopes: vec!["profilephoto.readwrite.all".into()],
        };
        assert!(p.allows(Access::Write, &of_user("b@x.com"), Vocabulary::Graph));
        assert!(!p.allows(Access::Read, &of_user("a@x.com"), Vocabulary::Outlook));
    }

    fn claims(json: serde_json::Value) -> Claims {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn delegated_and_application_tokens() {
        // Entra ID v2.0 delegated: the user in preferred_username, scopes in scp.
        let user = Principal::from_claims(claims(serde_json::json!({
            "preferred_username": "Alice@Contoso.com", "oid": "0b1c", "scp": "User.Read",
            "roles": ["Something.Else"], "exp": 1,
        })))
        .unwrap();
        assert_eq!(
            user,
            Principal::User {
                user: "alice@contoso.com".into(),
                scopes: vec!["user.read".into()]
            }
        );
        // RFC 9068 spells the scopes `scope`; `oid` alone names the user.
        let user = Principal::from_claims(claims(serde_json::json!({
            "oid": "0B1C", "scope": "User.ReadWrite", "exp": 1,
        })))
        .unwrap();
        assert_eq!(user.me().unwrap(), "0b1c");
        // Entra ID application tokens: roles, no scp, an oid of the service principal.
        for json in [
            serde_json::json!({"roles": ["User.Read.All"], "oid": "sp", "azp": "app-1", "exp": 1}),
            serde_json::json!({"idtyp": "app", "roles": ["User.Read.All"], "appid": "app-1", "exp": 1}),
        ] {
            let app = Principal::from_claims(claims(json)).unwrap();
            assert_eq!(
                app,
                Principal::Application {
                    app: "app-1".into(),
                    roles: vec!["user.read.all".into()]
                }
            );
            let refused = app.me().unwrap_err();
            assert_eq!(refused.status, axum::http::StatusCode::BAD_REQUEST);
            assert_eq!(refused.code, ErrorCode::BAD_REQUEST);
            assert!(app.allows(Access::Read, &of_user("anyone@x.com"), Vocabulary::Outlook));
            assert!(!app.allows(Access::Write, &of_user("anyone@x.com"), Vocabulary::Graph));
        }
        // A delegated token must name its user.
        let nobody =
            Principal::from_claims(claims(serde_json::json!({"scp": "User.Read", "exp": 1})));
        assert_eq!(
            nobody.unwrap_err().status,
            axum::http::StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn application_roles_follow_the_any_user_rows() {
        let app = |role: &str| Principal::Application {
            app: "a".into(),
            roles: vec![role.to_ascii_lowercase()],
        };
        for (role, read, write, graph_only) in [
            ("User.ReadBasic.All", true, false, false),
            ("User.Read.All", true, false, false),
            ("User.ReadWrite.All", true, true, false),
            ("ProfilePhoto.Read.All", true, false, true),
            ("ProfilePhoto.ReadWrite.All", true, true, true),
            ("User.Read", false, false, false),
            ("User.ReadWrite", false, false, false),
        ] {
            let app = app(role);
            for vocabulary in [Vocabulary::Outlook, Vocabulary::Graph] {
                let known = !graph_only || vocabulary == Vocabulary::Graph;
                assert_eq!(
                    app.allows(Access::Read, &of_user("u@x.com"), vocabulary),
                    read && known,
                    "{role}"
                );
                assert_eq!(
                    app.allows(Access::Write, &of_user("u@x.com"), vocabulary),
                    write && known,
                    "{role}"
                );
            }
        }
    }

    #[test]
    fn group_photos_have_rows_of_their_own() {
        let group = Owner::Group("0f3c".into());
        for (scope, read, write) in [
            ("ProfilePhoto.Read.All", true, false),
            ("ProfilePhoto.ReadWrite.All", true, true),
            ("Group.Read.All", true, false),
            ("Group.ReadWrite.All", true, true),
            ("User.Read.All", false, false),
            ("User.ReadWrite.All", false, false),
            ("User.ReadWrite", false, false),
        ] {
            let scope = scope.to_ascii_lowercase();
            // A user whose name is the group's id gains nothing from it.
            let delegated = Principal::User {
                user: "0f3c".into(),
                scopes: vec![scope.clone()],
            };
            let application = Principal::Application {
                app: "a".into(),
                roles: vec![scope.clone()],
            };
            for p in [delegated, application] {
                assert_eq!(
                    p.allows(Access::Read, &group, Vocabulary::Graph),
                    read,
                    "{scope}"
                );
                assert_eq!(
                    p.allows(Access::Write, &group, Vocabulary::Graph),
                    write,
                    "{scope}"
                );
            }
        }
        let p = Principal::User {
            user: "a@x.com".into(),
            scopes: vec!["group.readwrite.all".into()],
        };
        assert!(!p.allows(Access::Read, &of_user("a@x.com"), Vocabulary::Graph));
        assert!(p
            .authorize(Access::Write, &Owner::Group("g".into()), Vocabulary::Graph)
            .is_ok());
        let reader = Principal::User {
            user: "a@x.com".into(),
            scopes: vec!["group.read.all".into()],
        };
        let refused = reader
            .authorize(Access::Write, &Owner::Group("g".into()), Vocabulary::Graph)
            .unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::FORBIDDEN);
        assert_eq!(refused.code, ErrorCode::AUTHORIZATION_REQUEST_DENIED);
        assert!(
            refused.message.contains("Group.ReadWrite.All"),
            "{}",
            refused.message
        );
    }

    #[tokio::test]
    async fn minted_tokens_verify() {
        let keys = Keys::new(b"secret");
        let token = keys
            .mint("Alice@Contoso.com", "User.Read", Duration::from_secs(60))
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        let principal = Authenticator::from(keys)
            .authenticate(&headers)
            .await
            .unwrap();
        assert_eq!(
            principal,
            Principal::User {
                user: "alice@contoso.com".into(),
                scopes: vec!["user.read".into()]
            }
        );
        let other = Authenticator::from(Keys::new(b"other"));
        assert!(other.authenticate(&headers).await.is_err());
    }
}
