//! Campaign DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{campaign, campaign_community};
use uuid::Uuid;

use super::service;
use crate::loaders::{group, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the communities of many campaigns.
    CampaignCommunitiesLoader;
    /// Loads campaigns by id.
    CampaignLoader;
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
        let rows = service::campaigns_by_id(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}
