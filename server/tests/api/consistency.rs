//! Photo replacement is atomic: while writers replace one user's photo, readers never see a
//! list mixing two uploads, nor a listed size missing.

use crate::common;

use std::sync::Arc;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replacing_is_atomic_in_memory() {
    concurrent_replacements(Arc::new(object_store::memory::InMemory::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replacing_is_atomic_on_local_disk() {
    let dir = std::env::temp_dir().join(format!("userphoto-consistency-{}", std::process::id()));
    concurrent_replacements(userphoto_server::store::open_dir(&dir).unwrap()).await;
    let _ = std::fs::remove_dir_all(&dir);
}
