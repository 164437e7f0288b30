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

/// `userphoto-server rerender` on a data folder: killed after its first photo, it resumes on
/// the next run; a photo whose original no longer renders is named and makes the exit status
/// 1; a run with nothing left to do changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerender_resumes_after_a_kill() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    use crate::common::{photo, start_with};
    use object_store::path::Path;
    use object_store::ObjectStoreExt;

    const USERS: usize = 16;
    let dir = std::env::temp_dir().join(format!("userphoto-rerender-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = userphoto_server::store::open_dir(&dir).unwrap();
    let server = start_with(store.clone(), userphoto_server::Config::default()).await;
    let token = server.token("admin@contoso.com", "User.ReadWrite.All");
    for i in 0..USERS {
        let path = format!("/api/v2.0/users('u{i:02}@contoso.com')/photo/$value");
        let put = server.put(&path, &token, photo(300, 300, i as u32)).await;
        assert_eq!(put.status(), 200);
    }
    // One original that no longer renders.
    let set = crate::common::current_set(&store, "u07@contoso.com").await;
    store
        .put(
            &Path::from(format!("users/u07@contoso.com/sets/{set}/original")),
            b"no longer an image".to_vec().into(),
        )
        .await
        .unwrap();

    let rerender = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_userphoto-server"));
        command
            .args(["rerender", "--quality", "50", "--jobs", "1", "--data"])
            .arg(&dir)
            .env_remove("USERPHOTO_STORE")
            .env_remove("USERPHOTO_QUALITY");
        command
    };
    // Killed once its first photo is done.
    let mut first = rerender().stderr(Stdio::piped()).spawn().unwrap();
    let mut progress = BufReader::new(first.stderr.take().unwrap());
    let mut line = String::new();
    progress.read_line(&mut line).unwrap();
    assert!(line.starts_with(&format!("[1/{USERS}] ")), "{line:?}");
    first.kill().unwrap();
    first.wait().unwrap();

    let summary = |output: &std::process::Output| -> Vec<usize> {
        let stdout = String::from_utf8_lossy(&output.stdout);
        stdout
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().unwrap())
            .collect()
    };
    let second = rerender().output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("failed: users/u07@contoso.com: the original does not render"),
        "{stderr}"
    );
    // [users, rendered, up to date, no original, superseded, no photo, failed]
    let counts = summary(&second);
    assert_eq!(counts.len(), 7, "{counts:?}");
    assert_eq!(counts[0], USERS);
    if !line.contains("FAILED") {
        assert!(
            counts[2] >= 1,
            "the photo done before the kill is up to date: {counts:?}"
        );
    }
    assert_eq!(counts[1] + counts[2], USERS - 1, "{counts:?}");
    assert_eq!(counts[6], 1);

    let third = rerender().output().unwrap();
    assert_eq!(third.status.code(), Some(1));
    assert_eq!(summary(&third), [USERS, 0, USERS - 1, 0, 0, 0, 1]);
    let _ = std::fs::remove_dir_all(&dir);
}
