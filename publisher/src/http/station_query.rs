//! `?kind=&district=&station=` on open-data lists: comma-separated values,
//! each parameter narrowing the list (kind AND district AND station).

use envmon_core::{StationCode, StationKind};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::live::District;

/// The filter parameters as given; their doc comments are the API
/// document's descriptions.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct StationParams {
    /// Comma-separated station kinds: air, river, source.
    #[param(example = "air,river")]
    pub(crate) kind: Option<String>,
    /// Comma-separated districts, by Chinese name (普陀区) or English name in any case (putuo).
    #[param(example = "putuo")]
    pub(crate) district: Option<String>,
    /// Comma-separated station codes.
    #[param(example = "1141A")]
    pub(crate) station: Option<String>,
}

/// A checked filter.
#[derive(Debug, Default)]
pub(crate) struct StationQuery {
    kinds: Option<Vec<StationKind>>,
    districts: Option<Vec<String>>,
    stations: Option<Vec<StationCode>>,
}

fn split(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl StationParams {
    /// Checks every value.
    ///
    /// # Errors
    /// A 400 naming the parameter and the value.
    pub(crate) fn parse(&self) -> Result<StationQuery, ApiError> {
        let kinds = self
            .kind
            .as_deref()
            .map(|list| {
                split(list)
                    .map(|k| {
                        StationKind::parse(k).ok_or_else(|| {
                            ApiError::BadRequest(format!(
                                "query parameter `kind`: unknown station kind {k:?} (air, river or source)"
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let stations = self
            .station
            .as_deref()
            .map(|list| {
                split(list)
                    .map(|c| {
                        StationCode::parse(c).map_err(|e| {
                            ApiError::BadRequest(format!("query parameter `station`: {e}"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let districts = self
            .district
            .as_deref()
            .map(|list| split(list).map(str::to_owned).collect());
        Ok(StationQuery {
            kinds,
            districts,
            stations,
        })
    }
}

impl StationQuery {
    /// Whether a station passes.
    pub(crate) fn matches(
        &self,
        code: &StationCode,
        kind: StationKind,
        district: Option<&District>,
    ) -> bool {
        self.kinds.as_ref().is_none_or(|k| k.contains(&kind))
            && self.stations.as_ref().is_none_or(|s| s.contains(code))
            && self.districts.as_ref().is_none_or(|names| {
                district.is_some_and(|d| names.iter().any(|name| d.is_named(name)))
            })
    }
}
