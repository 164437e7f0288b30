//! `rerender` in memory and on local disk (the S3 run is in `s3.rs`; the command line's kill
//! and resume in `cli.rs`).

use crate::common;

use std::sync::Arc;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rerender_in_memory() {
    rerender_scenario(Arc::new(object_store::memory::InMemory::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rerender_on_local_disk() {
    let dir = std::env::temp_dir().join(format!("userphoto-rerender-{}", std::process::id()));
    rerender_scenario(userphoto_server::store::open_dir(&dir).unwrap()).await;
    let _ = std::fs::remove_dir_all(&dir);
}
