//! Community DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{channel, community};
use uuid::Uuid;

use super::service::{self, SetupFacts};
use crate::loaders::{by_first, group, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads channels of many communities.
    ChannelLoader;
    /// Loads setup facts of many communities.
    SetupLoader;
    /// Loads the newest communities of many brands: key (brand, first).
    BrandCommunitiesLoader;
    /// Loads community counts of many brands.
    CommunityCountLoader;
}

impl Loader<(Uuid, u64)> for BrandCommunitiesLoader {
    type Value = Vec<community::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, Self::Error> {
        by_first(
            keys,
            |c: &community::Model| c.brand_id,
            |ids, first| async move {
                service::first_communities_of(&self.0, &self.1, &ids, first).await
            },
        )
        .await
    }
}

impl Loader<Uuid> for CommunityCountLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        Ok(service::community_counts(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?
            .into_iter()
            .collect())
    }
}

impl Loader<Uuid> for ChannelLoader {
    type Value = Vec<channel::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::channels_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|c| (c.community_id, c))))
    }
}

/// Key of [`SetupLoader`]: the community and whether it was built for an audience.
pub type SetupKey = (Uuid, bool);

impl Loader<SetupKey> for SetupLoader {
    type Value = SetupFacts;
    type Error = LoadError;

    async fn load(&self, keys: &[SetupKey]) -> Result<HashMap<SetupKey, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|(c, _)| *c).collect();
        let with_audience: Vec<Uuid> = keys.iter().filter(|(_, a)| *a).map(|(c, _)| *c).collect();
        let rows = service::setup_facts(&self.0, &self.1, &ids, &with_audience)
            .await
            .map_err(load_error)?;
        Ok(rows
            .into_iter()
            .map(|f| ((f.community_id, with_audience.contains(&f.community_id)), f))
            .collect())
    }
}
