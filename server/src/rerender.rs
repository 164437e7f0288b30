//! Rendering stored photos again from their originals, after the pipeline or the options
//! changed (`userphoto-server rerender`).
//!
//! A stored set (a user's or a group's) is out of date when the [`RenderOptions`] it records
//! are not those of the options given and this build. Its original is rendered again and the
//! new set replaces the old one with the same pointer swap as an upload
//! ([`PhotoStore::replace_if_current`]), so readers never see a mix, and an upload that lands
//! meanwhile wins. Each photo is done on its own, so a run that is stopped leaves every photo
//! whole, and the next run takes up the ones still out of date; one run beside live servers is
//! safe.

use std::sync::Arc;

use futures_util::StreamExt;
use userphoto::{Options, RenderOptions};

use crate::store::{Owner, PhotoStore, StoreError};

/// What became of one owner's photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Rendered again and swapped in.
    Rendered,
    /// Already rendered with these options by this pipeline.
    UpToDate,
    /// No photo (deleted since the listing).
    NoPhoto,
    /// Stored before originals were kept: left as it is.
    NoOriginal,
    /// An upload replaced the photo during the run; the upload stays.
    Superseded,
    /// The original could not be rendered or stored: why.
    Failed(String),
}

/// The outcome of a run, photo by photo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every owner (users, then groups, as listed) and what became of its photo, in the order
    /// they finished.
    pub photos: Vec<(Owner, Outcome)>,
}

impl Summary {
    /// How many photos had this outcome (compared by kind; any failure counts as a failure).
    pub fn count(&self, kind: fn(&Outcome) -> bool) -> usize {
        self.photos.iter().filter(|(_, o)| kind(o)).count()
    }

    /// The owners whose photo failed, with why.
    pub fn failures(&self) -> impl Iterator<Item = (&Owner, &str)> {
        self.photos
            .iter()
            .filter_map(|(owner, outcome)| match outcome {
                Outcome::Failed(why) => Some((owner, why.as_str())),
                _ => None,
            })
    }

    /// The owners whose set has no original.
    pub fn without_original(&self) -> impl Iterator<Item = &Owner> {
        self.photos
            .iter()
            .filter(|(_, o)| *o == Outcome::NoOriginal)
            .map(|(owner, _)| owner)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} photos: {} rendered again, {} up to date, {} without an original (left as they are), \
             {} replaced by an upload meanwhile, {} without a photo, {} failed",
            self.photos.len(),
            self.count(|o| *o == Outcome::Rendered),
            self.count(|o| *o == Outcome::UpToDate),
            self.count(|o| *o == Outcome::NoOriginal),
            self.count(|o| *o == Outcome::Superseded),
            self.count(|o| *o == Outcome::NoPhoto),
            self.count(|o| matches!(o, Outcome::Failed(_))),
        )
    }
}

/// Renders again, `jobs` photos at a time, every photo in `store` (users' and groups') not
/// rendered with `options` by this build; `progress` hears of each owner as it finishes, with
/// the count done and the total.
///
/// # Errors
///
/// The store cannot list its owners. A failure on one photo is that photo's outcome.
pub async fn rerender(
    store: Arc<PhotoStore>,
    options: &Options,
    jobs: usize,
    mut progress: impl FnMut(&Owner, &Outcome, usize, usize),
) -> Result<Summary, StoreError> {
    let owners = store.owners().await?;
    let total = owners.len();
    let wanted = RenderOptions::of(options);
    let mut outcomes = futures_util::stream::iter(owners)
        .map(|owner| {
            let (store, options, wanted) = (store.clone(), options.clone(), wanted.clone());
            async move {
                let outcome = one(&store, &owner, options, wanted).await;
                (owner, outcome)
            }
        })
        .buffer_unordered(jobs.max(1));
    let mut summary = Summary::default();
    while let Some((owner, outcome)) = outcomes.next().await {
        progress(&owner, &outcome, summary.photos.len() + 1, total);
        summary.photos.push((owner, outcome));
    }
    Ok(summary)
}

async fn one(
    store: &PhotoStore,
    owner: &Owner,
    options: Options,
    wanted: RenderOptions,
) -> Outcome {
    let failed = |e: &dyn std::fmt::Display| Outcome::Failed(e.to_string());
    let (index, original) = match store.original(owner).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return match store.current(owner).await {
                Ok(Some(_)) => Outcome::NoOriginal,
                Ok(None) => Outcome::NoPhoto,
                Err(e) => failed(&e),
            }
        }
        Err(e) => return failed(&e),
    };
    if index.rendered.as_ref() == Some(&wanted) {
        return Outcome::UpToDate;
    }
    let bytes = original.clone();
    let set = match tokio::task::spawn_blocking(move || userphoto::ingest(&bytes, &options)).await {
        Ok(Ok(set)) => set,
        Ok(Err(e)) => return failed(&format!("the original does not render: {e}")),
        Err(e) => return failed(&format!("rendering failed: {e}")),
    };
    match store
        .replace_if_current(owner, &index.set, &set, original, wanted)
        .await
    {
        Ok(Some(_)) => Outcome::Rendered,
        Ok(None) => Outcome::Superseded,
        Err(e) => failed(&e),
    }
}
