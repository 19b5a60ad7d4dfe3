//! Campaign DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{campaign, campaign_community, content_item, content_review, content_version};
use uuid::Uuid;

use super::{content, offers, results, service};
use crate::loaders::{by_first, group, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the first items of many campaigns: key (campaign, first).
    CampaignItemsLoader;
    /// Loads the newest versions of many items: key (item, first).
    ItemVersionsLoader;
    /// Loads the reviews of many items.
    ItemReviewsLoader;
    /// Loads the communities of many campaigns.
    CampaignCommunitiesLoader;
    /// Loads campaigns by id.
    CampaignLoader;
    /// Loads the results of many items.
    ItemResultsLoader;
    /// Loads the recipient counts of many items.
    ItemRecipientCountsLoader;
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

impl Loader<Uuid> for CampaignCommunitiesLoader {
    type Value = Vec<campaign_community::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::communities_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|r| (r.campaign_id, r))))
    }
}

impl Loader<Uuid> for CampaignLoader {
    type Value = campaign::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = content::campaigns_by_id(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

impl Loader<Uuid> for ItemResultsLoader {
    type Value = results::ContentResults;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        results::results_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)
    }
}

impl Loader<Uuid> for ItemRecipientCountsLoader {
    type Value = offers::RecipientCounts;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        offers::counts_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)
    }
}
