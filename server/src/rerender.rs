//! Rendering stored photos again from their originals, after the pipeline or the options
//! changed (`userphoto-server rerender`).
//!
//! A user's set is out of date when the [`RenderOptions`] it records are not those of the
//! options given and this build. Its original is rendered again and the new set replaces the
//! old one with the same pointer swap as an upload ([`PhotoStore::replace_if_current`]), so
//! readers never see a mix, and an upload that lands meanwhile wins. Each user is done on its
//! own, so a run that is stopped leaves every photo whole, and the next run takes up the users
//! still out of date; one run beside live servers is safe.

use std::sync::Arc;

use futures_util::StreamExt;
use userphoto::{Options, RenderOptions};

use crate::store::{PhotoStore, StoreError};

/// What became of one user's photo.
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

/// The outcome of a run, user by user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every user and what became of its photo, in the order they finished.
    pub users: Vec<(String, Outcome)>,
}

impl Summary {
    /// How many users had this outcome (compared by kind; any failure counts as a failure).
    pub fn count(&self, kind: fn(&Outcome) -> bool) -> usize {
        self.users.iter().filter(|(_, o)| kind(o)).count()
    }

    /// The users whose photo failed, with why.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.users
            .iter()
            .filter_map(|(user, outcome)| match outcome {
                Outcome::Failed(why) => Some((user.as_str(), why.as_str())),
                _ => None,
            })
    }

    /// The users whose set has no original.
    pub fn without_original(&self) -> impl Iterator<Item = &str> {
        self.users
            .iter()
            .filter(|(_, o)| *o == Outcome::NoOriginal)
            .map(|(user, _)| user.as_str())
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users: {} rendered again, {} up to date, {} without an original (left as they are), \
             {} replaced by an upload meanwhile, {} without a photo, {} failed",
            self.users.len(),
            self.count(|o| *o == Outcome::Rendered),
            self.count(|o| *o == Outcome::UpToDate),
            self.count(|o| *o == Outcome::NoOriginal),
            self.count(|o| *o == Outcome::Superseded),
            self.count(|o| *o == Outcome::NoPhoto),
            self.count(|o| matches!(o, Outcome::Failed(_))),
        )
    }
}

/// Renders again, `jobs` users at a time, every photo in `store` not rendered with `options`
/// by this build; `progress` hears of each user as it finishes, with the count done and the
/// total.
///
/// # Errors
///
/// The store cannot list its users. A failure on one user is that user's outcome.
pub async fn rerender(
    store: Arc<PhotoStore>,
    options: &Options,
    jobs: usize,
    mut progress: impl FnMut(&str, &Outcome, usize, usize),
) -> Result<Summary, StoreError> {
    let users = store.users().await?;
    let total = users.len();
    let wanted = RenderOptions::of(options);
    let mut outcomes = futures_util::stream::iter(users)
        .map(|user| {
            let (store, options, wanted) = (store.clone(), options.clone(), wanted.clone());
            async move {
                let outcome = one(&store, &user, options, wanted).await;
                (user, outcome)
            }
        })
        .buffer_unordered(jobs.max(1));
    let mut summary = Summary::default();
    while let Some((user, outcome)) = outcomes.next().await {
        progress(&user, &outcome, summary.users.len() + 1, total);
        summary.users.push((user, outcome));
    }
    Ok(summary)
}

async fn one(store: &PhotoStore, user: &str, options: Options, wanted: RenderOptions) -> Outcome {
    let failed = |e: &dyn std::fmt::Display| Outcome::Failed(e.to_string());
    let (index, original) = match store.original(user).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return match store.current(user).await {
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
        .replace_if_current(user, &index.set, &set, original, wanted)
        .await
    {
        Ok(Some(_)) => Outcome::Rendered,
        Ok(None) => Outcome::Superseded,
        Err(e) => failed(&e),
    }
}
