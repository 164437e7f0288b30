//! The end-to-end tests against a real S3-compatible server (moto's, started by
//! `server/tests/s3.sh`), through `--store s3://bucket/prefix` and the AWS_* variables.
//!
//! Runs when `USERPHOTO_TEST_S3_ENDPOINT` names the server (and `AWS_ENDPOINT_URL`,
//! `AWS_ALLOW_HTTP`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` configure the
//! client); otherwise it says it was skipped and passes.

use std::io::Write as _;

use crate::common;

use common::*;
use futures_util::TryStreamExt;
use userphoto_server::Config;

/// A fresh bucket on the test server, created with a plain (unsigned) S3 request.
async fn bucket(endpoint: &str, name: &str) -> Option<String> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let bucket = format!("userphoto-{name}-{}-{stamp}", std::process::id());
    let response = reqwest::Client::new()
        .put(format!("{}/{bucket}", endpoint.trim_end_matches('/')))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "creating {bucket}: {}",
        response.status()
    );
    Some(bucket)
}

fn endpoint() -> Option<String> {
    match std::env::var("USERPHOTO_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => Some(endpoint),
        _ => {
            // Straight to stderr, which the test harness does not capture.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: set USERPHOTO_TEST_S3_ENDPOINT (see server/tests/s3.sh) to run against S3"
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_on_s3() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = bucket(&endpoint, "routes").await.unwrap();
    let store = userphoto_server::store::open(&format!("s3://{bucket}/photos")).unwrap();
    let server = start_with(store, Config::default()).await;
    core_scenario(&server, "s3").await;

    // Everything lives under the prefix, and the deletes left no set behind.
    let raw = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(&bucket)
        .build()
        .unwrap();
    let objects: Vec<String> = object_store::ObjectStore::list(&raw, None)
        .map_ok(|o| o.location.to_string())
        .try_collect()
        .await
        .unwrap();
    assert!(
        objects.iter().all(|o| o.starts_with("photos/users/")),
        "{objects:?}"
    );
    assert!(
        !objects
            .iter()
            .any(|o| o.ends_with(".jpg") || o.ends_with(".json") || o.ends_with("/original")),
        "{objects:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replacing_is_atomic_on_s3() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = bucket(&endpoint, "swap").await.unwrap();
    let store = userphoto_server::store::open(&format!("s3://{bucket}")).unwrap();
    concurrent_replacements(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rerender_on_s3() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = bucket(&endpoint, "rerender").await.unwrap();
    let store = userphoto_server::store::open(&format!("s3://{bucket}/photos")).unwrap();
    rerender_scenario(store).await;
}
