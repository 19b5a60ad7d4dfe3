//! Training DataLoaders, each applying the caller's brand scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{training_module, training_programme};
use uuid::Uuid;

use super::programmes;
use crate::loaders::{group, load_error, request_loaders, LoadError};

request_loaders! {
    /// Loads the modules of many programmes.
    ProgrammeModulesLoader;
    /// Loads programmes by id.
    ProgrammeLoader;
}

impl Loader<Uuid> for ProgrammeModulesLoader {
    type Value = Vec<training_module::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = programmes::modules_of(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(group(rows.into_iter().map(|m| (m.programme_id, m))))
    }
}

impl Loader<Uuid> for ProgrammeLoader {
    type Value = training_programme::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = programmes::programmes_by_id(&self.0, &self.1, keys)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}
