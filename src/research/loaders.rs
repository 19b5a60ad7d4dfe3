//! Research DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::gathering_place;
use uuid::Uuid;

use super::service;
use crate::loaders::{group, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the gathering places of many audiences.
    PlacesLoader;
}

impl Loader<Uuid> for PlacesLoader {
    type Value = Vec<gathering_place::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::places_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|g| (g.audience_id, g))))
    }
}
