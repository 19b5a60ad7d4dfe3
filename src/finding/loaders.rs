//! Finding DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::research_finding;
use uuid::Uuid;

use super::service::{self as findings, TagOnFinding};
use crate::loaders::{group, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the newest findings of many audiences: key (audience, first).
    AudienceFindingsLoader;
    /// Loads the tags of many findings.
    FindingTagsLoader;
}

impl Loader<(Uuid, u64)> for AudienceFindingsLoader {
    type Value = Vec<research_finding::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (first, audiences) in group(keys.iter().map(|(a, f)| (*f, *a))) {
            // One more than asked, to know whether a next page exists.
            let rows = findings::first_findings_of(&self.0, &self.1, &audiences, first + 1)
                .await
                .map_err(load_error)?;
            for (audience, rows) in group(rows.into_iter().map(|r| (r.audience_id, r))) {
                out.insert((audience, first), rows);
            }
        }
        Ok(out)
    }
}

impl Loader<Uuid> for FindingTagsLoader {
    type Value = Vec<TagOnFinding>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = findings::tags_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|t| (t.finding_id, t))))
    }
}

/// Loads what the selection asks for below a page of audiences (each one's
/// newest `first` findings, and their tags when selected) in one statement
/// per level, and hands it to the loaders the nested fields use, so that
/// the page costs the same statements at any size.
pub async fn prefetch(
    ctx: &async_graphql::Context<'_>,
    audiences: &[Uuid],
    first: u64,
    with_tags: bool,
) -> crate::error::AppResult<()> {
    let app = crate::context::ContextExt::app(ctx)?;
    let caller = crate::context::ContextExt::caller(ctx)?;
    let scope = caller.read_scope()?;
    let rows = findings::first_findings_of(app, &scope, audiences, first + 1).await?;
    let ids: Vec<Uuid> = rows.iter().map(|f| f.id).collect();
    let mut pages = group(rows.into_iter().map(|f| (f.audience_id, f)));
    let pages = audiences
        .iter()
        .map(|a| ((*a, first), pages.remove(a).unwrap_or_default()));
    crate::loaders::loader::<AudienceFindingsLoader>(ctx)?
        .feed_many(pages)
        .await;
    if with_tags {
        let mut tags = group(
            findings::tags_of(app, &scope, &ids)
                .await?
                .into_iter()
                .map(|t| (t.finding_id, t)),
        );
        let tags = ids.iter().map(|f| (*f, tags.remove(f).unwrap_or_default()));
        crate::loaders::loader::<FindingTagsLoader>(ctx)?
            .feed_many(tags)
            .await;
    }
    Ok(())
}
