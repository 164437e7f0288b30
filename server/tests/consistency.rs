//! Photo replacement is atomic: while writers replace one user's photo, readers never see a
//! list mixing two uploads, nor a listed size missing.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use object_store::ObjectStore;
use userphoto_server::Config;

const PHOTOS: u32 = 4;
const WRITERS: usize = 3;
const WRITES_EACH: usize = 5;
const READERS: usize = 4;

async fn run(store: Arc<dyn ObjectStore>) {
    // Two servers over one store, as replicas behind a load balancer would be: the per-user
    // lock of one process does not serialise their writes.
    let servers = Arc::new([
        start_with(store.clone(), Config::default()).await,
        start_with(store, Config::default()).await,
    ]);
    let user = "zoe@contoso.com";
    let writer = servers[0].token(user, "User.ReadWrite");
    let reader = servers[0].token("reader@contoso.com", "User.ReadBasic.All");
    let base = "/api/v2.0/users('zoe@contoso.com')";

    // Every photo has all nine sizes; learn each upload's ETags, one at a time.
    let photos: Vec<Vec<u8>> = (0..PHOTOS)
        .map(|seed| photo(700, 700, 100 + seed))
        .collect();
    let mut uploads: HashSet<Vec<(String, String)>> = HashSet::new();
    let mut by_size: HashMap<String, HashSet<String>> = HashMap::new();
    for bytes in &photos {
        let put = servers[0]
            .put(&format!("{base}/photo/$value"), &writer, bytes.clone())
            .await;
        assert_eq!(put.status(), 200);
        let list = listed(&servers[0].json(&format!("{base}/photos"), &reader).await);
        assert_eq!(list.len(), 9);
        for (id, etag) in &list {
            by_size.entry(id.clone()).or_default().insert(etag.clone());
        }
        uploads.insert(list);
    }
    assert_eq!(uploads.len(), PHOTOS as usize);
    let uploads = Arc::new(uploads);
    let by_size = Arc::new(by_size);

    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (servers, photos, writer) = (servers.clone(), photos.clone(), writer.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..WRITES_EACH {
                let server = &servers[(w + i) % 2];
                let bytes = photos[(w * WRITES_EACH + i) % photos.len()].clone();
                let put = server
                    .put(&format!("{base}/photo/$value"), &writer, bytes)
                    .await;
                assert_eq!(put.status(), 200);
            }
        }));
    }
    let mut readers = Vec::new();
    for r in 0..READERS {
        let (servers, uploads, by_size, done, reads, reader) = (
            servers.clone(),
            uploads.clone(),
            by_size.clone(),
            done.clone(),
            reads.clone(),
            reader.clone(),
        );
        readers.push(tokio::spawn(async move {
            let mut round = 0;
            while !done.load(Ordering::Relaxed) || round == 0 {
                let server = &servers[(r + round) % 2];
                round += 1;
                let list = listed(&server.json(&format!("{base}/photos"), &reader).await);
                assert!(uploads.contains(&list), "a list mixing uploads: {list:?}");

                let largest = server.json(&format!("{base}/photo"), &reader).await;
                assert!(by_size["648X648"].contains(largest["@odata.mediaEtag"].as_str().unwrap()));

                for (id, _) in &list {
                    let path = format!("{base}/photos('{id}')/$value");
                    let response = server.get(&path, &reader).await;
                    assert_eq!(response.status(), 200, "{id} listed but missing");
                    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
                    let bytes = response.bytes().await.unwrap();
                    assert_eq!(
                        crc_etag(&bytes),
                        etag,
                        "{id}: bytes and ETag of different uploads"
                    );
                    assert!(by_size[id].contains(&etag), "{id}: unknown ETag {etag}");
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) >= READERS * 9);

    // Settled: the current set is one upload, whole.
    let list = listed(&servers[1].json(&format!("{base}/photos"), &reader).await);
    assert!(uploads.contains(&list));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replacing_is_atomic_in_memory() {
    run(Arc::new(object_store::memory::InMemory::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replacing_is_atomic_on_local_disk() {
    let dir = std::env::temp_dir().join(format!("userphoto-consistency-{}", std::process::id()));
    run(userphoto_server::store::open_dir(&dir).unwrap()).await;
    let _ = std::fs::remove_dir_all(&dir);
}
