//! Each upload's original bytes are stored with its set, with the options and pipeline that
//! rendered it, and go when the set goes.

use crate::common;

use std::sync::Arc;

use common::*;
use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use userphoto_server::store::SetIndex;
use userphoto_server::Config;

async fn objects(store: &Arc<dyn ObjectStore>) -> Vec<String> {
    let mut all: Vec<String> = store
        .list(None)
        .map_ok(|o| o.location.to_string())
        .try_collect()
        .await
        .unwrap();
    all.sort();
    all
}

async fn get(store: &Arc<dyn ObjectStore>, path: &str) -> Vec<u8> {
    store
        .get(&Path::from(path))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn originals_are_kept_with_their_set() {
    let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let mut config = Config::default();
    config.options.quality = 70;
    let server = start_with(store.clone(), config).await;
    let token = server.token("olga@contoso.com", "User.ReadWrite");
    let path = "/api/v2.0/me/photo/$value";

    let first = jpeg(300, 200, 7);
    assert_eq!(server.put(path, &token, first.clone()).await.status(), 200);
    let set = current_set(&store, "olga@contoso.com").await;
    let prefix = format!("users/olga@contoso.com/sets/{set}");
    assert_eq!(get(&store, &format!("{prefix}/original")).await, first);
    let index: SetIndex =
        serde_json::from_slice(&get(&store, &format!("{prefix}/photos.json")).await).unwrap();
    assert_eq!(index.original.as_deref(), Some("original"));
    let rendered = index.rendered.unwrap();
    assert_eq!(rendered.quality, 70);
    assert_eq!(rendered.background, "ffffff");
    assert_eq!(rendered.pipeline, userphoto::PIPELINE_VERSION);

    // A new upload brings its own original; the previous set goes with its original.
    let second = photo(120, 160, 8);
    assert_eq!(server.put(path, &token, second.clone()).await.status(), 200);
    let originals: Vec<String> = objects(&store)
        .await
        .into_iter()
        .filter(|o| o.ends_with("/original"))
        .collect();
    assert_eq!(originals.len(), 1, "{originals:?}");
    assert_eq!(get(&store, &originals[0]).await, second);

    // A rejected upload stores nothing.
    let before = objects(&store).await;
    assert_eq!(
        server
            .put(path, &token, b"not a photo".to_vec())
            .await
            .status(),
        415
    );
    assert_eq!(objects(&store).await, before);

    let delete = server
        .client
        .delete(server.url(path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 204);
    assert_eq!(objects(&store).await, Vec::<String>::new());
}
