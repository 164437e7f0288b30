//! Photo sets in object storage, swapped atomically per owner: a user or a group.
//!
//! Layout, under the store's root (`groups/<group>/…` alike for a group's photo):
//!
//! ```text
//! users/<user>/sets/<set>/48x48.jpg … 648x648.jpg   the renditions of one upload
//! users/<user>/sets/<set>/original                 the upload's bytes, as they came
//! users/<user>/sets/<set>/photos.json               its index: tag and metadata of each size,
//!                                                   the options and pipeline that rendered it
//! users/<user>/current                              the pointer: the name of the current set
//! ```
//!
//! The original stays with its renditions so that they can be rendered again when the
//! pipeline or the options change; sets stored before originals were kept have none.
//!
//! `<set>` is the library's set tag followed by a random suffix, so every upload has its own
//! prefix even when two uploads have the same content. An upload writes its whole set, then
//! the pointer (one small object, replaced atomically by every store), then removes the set
//! the pointer named before. A reader reads the pointer, then files of that set only, so it
//! never mixes two uploads; when a file of the set it read has vanished (a newer upload
//! removed it meanwhile), it reads the pointer again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};
use userphoto::{ETag, PhotoMetadata, PhotoSet, PhotoSize, RenderOptions};

/// How often a reader retries when the set it was reading is replaced under it.
const READ_ATTEMPTS: usize = 8;

/// Sets not named by the pointer and untouched for this long are left-overs of uploads that
/// lost a race between servers sharing one store; the next upload of that owner removes them.
const STALE_SET_AGE: Duration = Duration::from_secs(15 * 60);

/// The index of one stored set (`photos.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetIndex {
    /// The library's set tag (16 hex digits).
    pub tag: String,
    /// The set's name in the store: the tag and a random suffix.
    pub set: String,
    /// The metadata of every size, ascending.
    pub value: Vec<PhotoMetadata>,
    /// The name of the upload's original bytes in the set (`original`); `None` in sets
    /// stored before originals were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    /// The options and pipeline the renditions were made with; `None` in sets stored before
    /// they were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered: Option<RenderOptions>,
}

impl SetIndex {
    /// The metadata of `size`, if the set holds it.
    pub fn get(&self, size: PhotoSize) -> Option<&PhotoMetadata> {
        self.value.iter().find(|m| m.id == size.id())
    }

    /// The metadata of the largest size.
    pub fn largest(&self) -> Option<&PhotoMetadata> {
        self.value.last()
    }
}

/// The ETags a client already holds (its `If-None-Match`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    /// `*`: any current rendition.
    pub any: bool,
    /// The tags listed.
    pub tags: Vec<ETag>,
}

impl Held {
    /// Whether a rendition with `etag` is one the client holds. The empty ETag (the
    /// placeholder's) never is.
    pub fn contains(&self, etag: &ETag) -> bool {
        !etag.is_empty() && (self.any || self.tags.contains(etag))
    }
}

/// What a read of one rendition found.
#[derive(Debug, Clone)]
pub enum Read {
    /// The owner has no photo.
    NoPhoto,
    /// The owner's set has no rendition of the size asked for.
    NoSuchSize,
    /// The rendition's ETag is one the client already has; the bytes were not read.
    NotModified(Arc<SetIndex>, PhotoMetadata),
    /// The rendition, with the index of the set it came from.
    Found(Arc<SetIndex>, PhotoMetadata, Bytes),
}

/// The photo storage of every user and group, over any [`ObjectStore`].
#[derive(Debug)]
pub struct PhotoStore {
    inner: Arc<dyn ObjectStore>,
    /// One lock per owner, so uploads to one owner through this server run one at a time.
    locks: Mutex<HashMap<Owner, Arc<tokio::sync::Mutex<()>>>>,
    /// Indexes by set name; a set never changes once written, so entries never go stale.
    indexes: Mutex<HashMap<(Owner, String), Arc<SetIndex>>>,
}

/// The object of a set that holds the upload's original bytes.
pub const ORIGINAL: &str = "original";

/// Entries the index cache holds before it starts again from empty.
const INDEX_CACHE_ENTRIES: usize = 10_000;

/// A failure of the underlying store.
pub type StoreError = object_store::Error;

/// Whose photo a set is. Users and groups have a prefix each, so a user and a group with the
/// same name never share a photo.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A user, by the lower-case name the routes normalise it to.
    User(String),
    /// A Microsoft 365 group, by its id, lower-case.
    Group(String),
}

impl Owner {
    /// Every kind of owner, with the prefix its sets are stored under.
    const PREFIXES: [&'static str; 2] = ["users", "groups"];

    fn prefix(&self) -> &'static str {
        match self {
            Owner::User(_) => Owner::PREFIXES[0],
            Owner::Group(_) => Owner::PREFIXES[1],
        }
    }

    fn of_prefix(prefix: &str, key: String) -> Owner {
        if prefix == Owner::PREFIXES[1] {
            Owner::Group(key)
        } else {
            Owner::User(key)
        }
    }

    /// The user's name or the group's id.
    pub fn key(&self) -> &str {
        match self {
            Owner::User(key) | Owner::Group(key) => key,
        }
    }

    fn path(&self, rest: &[&str]) -> Path {
        Path::from_iter(
            [self.prefix(), self.key()]
                .into_iter()
                .chain(rest.iter().copied()),
        )
    }
}

/// `users/alice@contoso.com`, `groups/<id>`: the owner's place in the store, as logs name it.
impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.prefix(), self.key())
    }
}

fn file_name(size: PhotoSize) -> String {
    format!("{}.jpg", size.name())
}

impl PhotoStore {
    /// A photo store over `inner`.
    pub fn new(inner: Arc<dyn ObjectStore>) -> PhotoStore {
        PhotoStore {
            inner,
            locks: Mutex::new(HashMap::new()),
            indexes: Mutex::new(HashMap::new()),
        }
    }

    /// The underlying object store.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }

    fn lock_for(&self, owner: &Owner) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().expect("lock map poisoned");
        if locks.len() > INDEX_CACHE_ENTRIES {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks.entry(owner.clone()).or_default().clone()
    }

    /// The name of the owner's current set, if it has a photo.
    async fn pointer(&self, owner: &Owner) -> Result<Option<String>, StoreError> {
        match self.inner.get(&owner.path(&["current"])).await {
            Ok(result) => {
                let bytes = result.bytes().await?;
                Ok(Some(String::from_utf8_lossy(&bytes).trim().to_owned()))
            }
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn index(&self, owner: &Owner, set: &str) -> Result<Option<Arc<SetIndex>>, StoreError> {
        let key = (owner.clone(), set.to_owned());
        if let Some(index) = self.indexes.lock().expect("cache poisoned").get(&key) {
            return Ok(Some(index.clone()));
        }
        let bytes = match self
            .inner
            .get(&owner.path(&["sets", set, "photos.json"]))
            .await
        {
            Ok(result) => result.bytes().await?,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let index: SetIndex = serde_json::from_slice(&bytes).map_err(|e| StoreError::Generic {
            store: "userphoto",
            source: format!("{owner}/sets/{set}/photos.json is not a set index: {e}").into(),
        })?;
        let index = Arc::new(index);
        let mut cache = self.indexes.lock().expect("cache poisoned");
        if cache.len() >= INDEX_CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, index.clone());
        Ok(Some(index))
    }

    /// Whether the store answers: lists a prefix that holds nothing, which an S3 bucket
    /// answers only when it exists and the credentials are good.
    ///
    /// # Errors
    ///
    /// The store's failure.
    pub async fn probe(&self) -> Result<(), StoreError> {
        self.inner
            .list_with_delimiter(Some(&Path::from("readyz")))
            .await
            .map(|_| ())
    }

    /// The index of the owner's current set, or `None` when it has no photo.
    ///
    /// # Errors
    ///
    /// A failure of the store.
    pub async fn current(&self, owner: &Owner) -> Result<Option<Arc<SetIndex>>, StoreError> {
        for _ in 0..READ_ATTEMPTS {
            let Some(set) = self.pointer(owner).await? else {
                return Ok(None);
            };
            if let Some(index) = self.index(owner, &set).await? {
                return Ok(Some(index));
            }
            // The set was replaced between reading the pointer and its index: read again.
        }
        Err(contended(owner))
    }

    /// Reads one rendition of the owner's current set: `size`, or the largest when `None`.
    /// When the client already `held` the rendition's ETag, the bytes are not read.
    ///
    /// # Errors
    ///
    /// A failure of the store.
    pub async fn read(
        &self,
        owner: &Owner,
        size: Option<PhotoSize>,
        held: &Held,
    ) -> Result<Read, StoreError> {
        for _ in 0..READ_ATTEMPTS {
            let Some(index) = self.current(owner).await? else {
                return Ok(Read::NoPhoto);
            };
            let metadata = match size {
                Some(size) => index.get(size),
                None => index.largest(),
            };
            let Some(metadata) = metadata.cloned() else {
                return Ok(Read::NoSuchSize);
            };
            if held.contains(&metadata.media_etag) {
                return Ok(Read::NotModified(index, metadata));
            }
            let name = format!("{}.jpg", metadata.id.to_ascii_lowercase());
            match self
                .inner
                .get(&owner.path(&["sets", &index.set, &name]))
                .await
            {
                Ok(result) => {
                    let bytes = result.bytes().await?;
                    return Ok(Read::Found(index, metadata, bytes));
                }
                // Replaced meanwhile: start again from the pointer.
                Err(StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(contended(owner))
    }

    /// Writes `set`, its original and its index under a new set name; the pointer is not
    /// touched, so no reader sees it yet.
    async fn write_set(
        &self,
        owner: &Owner,
        set: &PhotoSet,
        original: Bytes,
        rendered: RenderOptions,
    ) -> Result<Arc<SetIndex>, StoreError> {
        let name = format!(
            "{}-{}",
            set.tag(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let index = Arc::new(SetIndex {
            tag: set.tag().to_string(),
            set: name.clone(),
            value: set.iter().map(|r| r.metadata()).collect(),
            original: Some(ORIGINAL.to_owned()),
            rendered: Some(rendered),
        });
        let json = serde_json::to_vec(&*index).expect("a set index always serialises");
        let files: Vec<(Path, PutPayload)> = set
            .iter()
            .map(|r| {
                let path = owner.path(&["sets", &name, &file_name(r.size())]);
                (path, PutPayload::from_bytes(r.bytes().clone()))
            })
            .chain([(
                owner.path(&["sets", &name, ORIGINAL]),
                PutPayload::from_bytes(original),
            )])
            .collect();
        let puts = files.into_iter().map(|(path, payload)| {
            let store = Arc::clone(&self.inner);
            async move { store.put(&path, payload).await }
        });
        futures_util::future::try_join_all(puts).await?;
        // The index last: a set is whole once its index exists.
        self.inner
            .put(&owner.path(&["sets", &name, "photos.json"]), json.into())
            .await?;
        Ok(index)
    }

    /// Once the pointer names `current`, removes the set it named before and left-overs.
    async fn swapped(&self, owner: &Owner, current: &str, previous: Option<String>) {
        if let Some(previous) = previous {
            self.remove_set(owner, &previous).await;
        }
        self.remove_stale_sets(owner, current).await;
    }

    /// Stores `set`, rendered from the `original` bytes with `rendered`, as the owner's photo,
    /// replacing the previous one at once.
    ///
    /// # Errors
    ///
    /// A failure of the store; the previous photo then stays current.
    pub async fn replace(
        &self,
        owner: &Owner,
        set: &PhotoSet,
        original: Bytes,
        rendered: RenderOptions,
    ) -> Result<Arc<SetIndex>, StoreError> {
        let lock = self.lock_for(owner);
        let _guard = lock.lock().await;
        let index = self.write_set(owner, set, original, rendered).await?;
        let previous = self.pointer(owner).await?;
        self.inner
            .put(
                &owner.path(&["current"]),
                Bytes::from(index.set.clone()).into(),
            )
            .await?;
        tracing::info!(%owner, set = %index.set, "photo replaced");
        self.swapped(owner, &index.set, previous).await;
        Ok(index)
    }

    /// Stores `set`, rendered again from the original of the set named `from`, as the owner's
    /// photo, but only if `from` is still the current set: an upload that landed meanwhile
    /// wins, and the new set is removed.
    ///
    /// The pointer is replaced with a conditional write where the store has one (S3, memory),
    /// so that an upload through another server between the check and the write still wins;
    /// on local disk, which has none, the check and the write are a moment apart.
    ///
    /// # Errors
    ///
    /// A failure of the store; the current photo then stays as it was.
    pub async fn replace_if_current(
        &self,
        owner: &Owner,
        from: &str,
        set: &PhotoSet,
        original: Bytes,
        rendered: RenderOptions,
    ) -> Result<Option<Arc<SetIndex>>, StoreError> {
        let lock = self.lock_for(owner);
        let _guard = lock.lock().await;
        let index = self.write_set(owner, set, original, rendered).await?;
        let pointer = owner.path(&["current"]);
        let superseded = match self.inner.get(&pointer).await {
            Ok(result) => {
                let version = UpdateVersion {
                    e_tag: result.meta.e_tag.clone(),
                    version: result.meta.version.clone(),
                };
                let named = result.bytes().await?;
                if String::from_utf8_lossy(&named).trim() != from {
                    true
                } else {
                    let name = Bytes::from(index.set.clone());
                    let conditional = PutOptions::from(PutMode::Update(version));
                    match self
                        .inner
                        .put_opts(&pointer, name.clone().into(), conditional)
                        .await
                    {
                        Ok(_) => false,
                        Err(StoreError::Precondition { .. }) => true,
                        Err(StoreError::NotImplemented { .. }) => {
                            self.inner.put(&pointer, name.into()).await?;
                            false
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(StoreError::NotFound { .. }) => true,
            Err(e) => return Err(e),
        };
        if superseded {
            self.remove_set(owner, &index.set).await;
            return Ok(None);
        }
        tracing::info!(%owner, set = %index.set, from, "photo rendered again");
        self.swapped(owner, &index.set, Some(from.to_owned())).await;
        Ok(Some(index))
    }

    /// Every user and group with something stored: users first, each kind in the store's
    /// order.
    ///
    /// # Errors
    ///
    /// A failure of the store.
    pub async fn owners(&self) -> Result<Vec<Owner>, StoreError> {
        let mut owners = Vec::new();
        for prefix in Owner::PREFIXES {
            let listing = self
                .inner
                .list_with_delimiter(Some(&Path::from(prefix)))
                .await?;
            owners.extend(
                listing
                    .common_prefixes
                    .iter()
                    .filter_map(|p| p.filename())
                    .filter_map(|name| {
                        let decoded = percent_encoding::percent_decode_str(name).decode_utf8();
                        decoded
                            .ok()
                            .map(|key| Owner::of_prefix(prefix, key.into_owned()))
                    }),
            );
        }
        Ok(owners)
    }

    /// The original bytes of the owner's current set, with its index; `None` when it has
    /// no photo or the set was stored without its original.
    ///
    /// # Errors
    ///
    /// A failure of the store.
    pub async fn original(
        &self,
        owner: &Owner,
    ) -> Result<Option<(Arc<SetIndex>, Bytes)>, StoreError> {
        for _ in 0..READ_ATTEMPTS {
            let Some(index) = self.current(owner).await? else {
                return Ok(None);
            };
            let Some(original) = &index.original else {
                return Ok(None);
            };
            match self
                .inner
                .get(&owner.path(&["sets", &index.set, original]))
                .await
            {
                Ok(result) => return Ok(Some((index.clone(), result.bytes().await?))),
                // Replaced meanwhile: start again from the pointer.
                Err(StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(contended(owner))
    }

    /// Removes the owner's photo; reads fall back to the placeholder. Removing a photo that
    /// does not exist succeeds.
    ///
    /// # Errors
    ///
    /// A failure of the store.
    pub async fn delete(&self, owner: &Owner) -> Result<(), StoreError> {
        let lock = self.lock_for(owner);
        let _guard = lock.lock().await;
        let previous = self.pointer(owner).await?;
        match self.inner.delete(&owner.path(&["current"])).await {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        if let Some(previous) = previous {
            tracing::info!(%owner, set = %previous, "photo deleted");
            self.remove_set(owner, &previous).await;
        }
        Ok(())
    }

    /// Deletes every object of one set. Failures are logged: a left-over set is garbage, not
    /// an error of the request that replaced it.
    async fn remove_set(&self, owner: &Owner, set: &str) {
        let prefix = owner.path(&["sets", set]);
        let locations = self
            .inner
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .boxed();
        let mut deleted = self.inner.delete_stream(locations);
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(e) => tracing::warn!(%owner, set, error = %e, "could not remove an old set"),
            }
        }
        self.indexes
            .lock()
            .expect("cache poisoned")
            .remove(&(owner.clone(), set.to_owned()));
    }

    /// Removes sets other than `keep` whose objects are all older than [`STALE_SET_AGE`].
    async fn remove_stale_sets(&self, owner: &Owner, keep: &str) {
        let prefix = owner.path(&["sets"]);
        let listing = match self.inner.list_with_delimiter(Some(&prefix)).await {
            Ok(listing) => listing,
            Err(e) => {
                tracing::warn!(%owner, error = %e, "could not list sets");
                return;
            }
        };
        let now = chrono_now();
        for dir in listing.common_prefixes {
            let Some(set) = dir.filename().map(str::to_owned) else {
                continue;
            };
            if set == keep {
                continue;
            }
            let objects: Vec<_> = match self.inner.list(Some(&dir)).try_collect().await {
                Ok(objects) => objects,
                Err(_) => continue,
            };
            let stale = objects.iter().all(|o| {
                now.signed_duration_since(o.last_modified)
                    .to_std()
                    .is_ok_and(|age| age > STALE_SET_AGE)
            });
            // Check the pointer again right before: a set it names is never removed.
            if stale && self.pointer(owner).await.ok().flatten().as_deref() != Some(set.as_str()) {
                self.remove_set(owner, &set).await;
            }
        }
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn contended(owner: &Owner) -> StoreError {
    StoreError::Generic {
        store: "userphoto",
        source: format!("the photo of {owner} kept changing while it was read").into(),
    }
}

/// Store URLs (`s3://`, `gs://`, `az://`, `file://`, `memory://`) and local folders, opened
/// as the `userphoto precompute` command opens them.
pub use userphoto_stores::{open, open_dir};
