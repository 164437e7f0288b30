//! The `userphoto-server` command line: `token` prints a token alone on stdout, signed with
//! the secret from the environment or a file.

use std::process::Command;

use axum::http::{header, HeaderMap};
use userphoto_server::auth::{Authenticator, Keys, Principal};

const SECRET: &str = "a secret for the command-line test";

fn principal(token: &str, secret: &[u8]) -> Option<(String, Vec<String>)> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    let authenticator = Authenticator::from(Keys::new(secret));
    let principal = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(authenticator.authenticate(&headers))
        .ok()?;
    match principal {
        Principal::User { user, scopes } => Some((user, scopes)),
        Principal::Application { .. } => None,
    }
}

#[test]
fn token_from_the_environment() {
    let output = Command::new(env!("CARGO_BIN_EXE_userphoto-server"))
        .args([
            "token",
            "--user",
            "Alice@Contoso.com",
            "--scopes",
            "User.Read User.ReadBasic.All",
        ])
        .env("USERPHOTO_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.strip_suffix('\n').unwrap();
    assert!(
        !token.contains(char::is_whitespace),
        "only the token: {stdout:?}"
    );
    assert_eq!(
        principal(token, SECRET.as_bytes()),
        Some((
            "alice@contoso.com".to_owned(),
            vec!["user.read".to_owned(), "user.readbasic.all".to_owned()]
        ))
    );
    assert_eq!(principal(token, b"some other secret entirely"), None);
}

#[test]
fn token_from_a_file_and_expiry() {
    let file = std::env::temp_dir().join(format!("userphoto-secret-{}", std::process::id()));
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let run = |expires: &str| {
        Command::new(env!("CARGO_BIN_EXE_userphoto-server"))
            .args([
                "token",
                "--user",
                "bob@contoso.com",
                "--scopes",
                "User.ReadWrite",
            ])
            .args(["--expires", expires, "--jwt-secret-file"])
            .arg(&file)
            .env_remove("USERPHOTO_JWT_SECRET")
            .output()
            .unwrap()
    };
    let output = run("10m");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap();
    // The trailing newline of the file is not part of the secret.
    assert!(principal(token.trim(), SECRET.as_bytes()).is_some());
    assert!(!run("soon").status.success());
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn refuses_to_start_without_a_secret() {
    let output = Command::new(env!("CARGO_BIN_EXE_userphoto-server"))
        .args(["--store", "memory://", "--listen", "127.0.0.1:0"])
        .env_remove("USERPHOTO_JWT_SECRET")
        .env_remove("USERPHOTO_JWT_SECRET_FILE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("USERPHOTO_JWT_SECRET"));
}
