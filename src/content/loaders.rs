//! Content item DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{content_item, content_review, content_version};
use uuid::Uuid;

use super::service as content;
use crate::loaders::{by_first, group, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the first items of many campaigns: key (campaign, first).
    CampaignItemsLoader;
    /// Loads the newest versions of many items: key (item, first).
    ItemVersionsLoader;
    /// Loads the reviews of many items.
    ItemReviewsLoader;
}

impl Loader<(Uuid, u64)> for CampaignItemsLoader {
    type Value = Vec<content_item::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, Self::Error> {
        by_first(
            keys,
            |i: &content_item::Model| i.campaign_id,
            |ids, first| async move { content::first_items_of(&self.0, &self.1, &ids, first).await },
        )
        .await
    }
}

impl Loader<(Uuid, u64)> for ItemVersionsLoader {
    type Value = Vec<content_version::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, Self::Error> {
        by_first(
            keys,
            |v: &content_version::Model| v.item_id,
            |ids, first| async move {
                content::first_versions_of(&self.0, &self.1, &ids, first).await
            },
        )
        .await
    }
}

impl Loader<Uuid> for ItemReviewsLoader {
    type Value = Vec<content_review::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = content::reviews_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|r| (r.item_id, r))))
    }
}
