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

// ------------------------------------------------------------ where

/// The mean Earth radius (IUGG R1 = (2a + b) / 3 of WGS-84), in metres: a
/// haversine on this sphere is within 0.5 % of the WGS-84 ellipsoid's
/// geodesic, a few tens of metres across Shanghai, well inside how exactly
/// a station's position or a visitor's location is known.
pub(crate) const MEAN_EARTH_RADIUS_M: f64 = 6_371_008.8;

/// How many stations `near` returns unless `limit` says otherwise.
pub(crate) const NEAR_DEFAULT_LIMIT: usize = 5;
/// The most `limit` may ask for.
pub(crate) const NEAR_MAX_LIMIT: usize = 100;

/// A WGS-84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LonLat {
    pub(crate) lon: f64,
    pub(crate) lat: f64,
}

/// Where the stations must be and how many: inside a box, nearest first
/// to a point, at most `limit` (with `near`, 5 unless said).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Place {
    pub(crate) near: Option<LonLat>,
    pub(crate) within: Option<BoundingBox>,
    pub(crate) limit: Option<usize>,
}

/// `minLon,minLat,maxLon,maxLat`, as in RFC 7946 §5; a box crossing the
/// antimeridian (minLon > maxLon) is not needed over one city and refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BoundingBox {
    pub(crate) min: LonLat,
    pub(crate) max: LonLat,
}

impl BoundingBox {
    pub(crate) fn contains(&self, p: LonLat) -> bool {
        (self.min.lon..=self.max.lon).contains(&p.lon)
            && (self.min.lat..=self.max.lat).contains(&p.lat)
    }
}

/// Great-circle distance between two WGS-84 positions, in metres
/// (haversine on a sphere of the mean Earth radius).
pub(crate) fn distance_m(a: LonLat, b: LonLat) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let half_dlat = (lat2 - lat1) / 2.0;
    let half_dlon = (b.lon - a.lon).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat1.cos() * lat2.cos() * half_dlon.sin().powi(2);
    2.0 * MEAN_EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn bad(parameter: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("query parameter `{parameter}`: {message}"))
}

/// `count` comma-separated finite decimal numbers.
fn numbers(parameter: &str, value: &str, count: usize, shape: &str) -> Result<Vec<f64>, ApiError> {
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    if parts.len() != count {
        return Err(bad(
            parameter,
            format!("expected {count} comma-separated numbers ({shape}), got {value:?}"),
        ));
    }
    parts
        .iter()
        .map(|p| match p.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(bad(parameter, format!("{p:?} is not a number ({shape})"))),
        })
        .collect()
}

fn position(parameter: &str, lon: f64, lat: f64) -> Result<LonLat, ApiError> {
    if !(-180.0..=180.0).contains(&lon) {
        return Err(bad(
            parameter,
            format!("longitude {lon} is outside -180..180"),
        ));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(bad(parameter, format!("latitude {lat} is outside -90..90")));
    }
    Ok(LonLat { lon, lat })
}

/// Checks `near`, `bbox` and `limit`.
///
/// # Errors
/// A 400 naming the parameter and what is wrong with its value.
pub(crate) fn parse_place(
    near: Option<&str>,
    bbox: Option<&str>,
    limit: Option<&str>,
) -> Result<Place, ApiError> {
    let near = near
        .map(|near| {
            let n = numbers("near", near, 2, "longitude,latitude")?;
            position("near", n[0], n[1])
        })
        .transpose()?;
    let within = bbox
        .map(|bbox| {
            let shape = "minLon,minLat,maxLon,maxLat";
            let n = numbers("bbox", bbox, 4, shape)?;
            let min = position("bbox", n[0], n[1])?;
            let max = position("bbox", n[2], n[3])?;
            if min.lon > max.lon || min.lat > max.lat {
                return Err(bad(
                    "bbox",
                    format!("the minimum must not exceed the maximum ({shape})"),
                ));
            }
            Ok(BoundingBox { min, max })
        })
        .transpose()?;
    let limit = match limit {
        None if near.is_some() => Some(NEAR_DEFAULT_LIMIT),
        None => None,
        Some(l) => match l.trim().parse::<usize>() {
            Ok(l) if (1..=NEAR_MAX_LIMIT).contains(&l) => Some(l),
            _ => {
                return Err(bad(
                    "limit",
                    format!("{l:?} is not a whole number from 1 to {NEAR_MAX_LIMIT}"),
                ));
            }
        },
    };
    Ok(Place {
        near,
        within,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<Place, ApiError>) -> String {
        match result {
            Err(ApiError::BadRequest(m)) => m,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn a_degree_of_latitude_is_the_sphere_s_circumference_over_360() {
        let d = distance_m(
            LonLat {
                lon: 121.0,
                lat: 31.0,
            },
            LonLat {
                lon: 121.0,
                lat: 32.0,
            },
        );
        // 2 pi R / 360 = 111 195.08 m
        assert!((d - 111_195.08).abs() < 0.01, "{d}");
        // People's Square (121.4737, 31.2304) to the Bund's Chen Yi statue
        // (121.4903, 31.2365): 0.0061 deg north is 678 m, 0.0166 deg east at
        // cos(31.233 deg) = 0.8550 is 1578 m; together 1718 m.
        let d = distance_m(
            LonLat {
                lon: 121.4737,
                lat: 31.2304,
            },
            LonLat {
                lon: 121.4903,
                lat: 31.2365,
            },
        );
        assert!((d - 1_718.0).abs() < 1.0, "{d}");
    }

    #[test]
    fn near_and_bbox_parse_with_their_defaults() {
        let centre = LonLat {
            lon: 121.47,
            lat: 31.23,
        };
        let place = parse_place(Some("121.47, 31.23"), None, None).unwrap();
        assert_eq!(place.near, Some(centre));
        assert_eq!(place.limit, Some(NEAR_DEFAULT_LIMIT));
        let place = parse_place(Some("121.47,31.23"), Some("121,31,122,32"), Some("3")).unwrap();
        assert_eq!(place.limit, Some(3));
        let b = place.within.unwrap();
        assert!(b.contains(LonLat {
            lon: 121.5,
            lat: 31.5
        }));
        assert!(!b.contains(LonLat {
            lon: 122.5,
            lat: 31.5
        }));
        assert_eq!(parse_place(None, None, None).unwrap(), Place::default());
        assert_eq!(parse_place(None, None, Some("7")).unwrap().limit, Some(7));
    }

    #[test]
    fn malformed_places_are_refused_with_the_parameter_named() {
        for (near, bbox, limit, says) in [
            (Some("121.47"), None, None, "`near`: expected 2"),
            (Some("121.47,31.2,0"), None, None, "`near`: expected 2"),
            (
                Some("east,31.2"),
                None,
                None,
                "`near`: \"east\" is not a number",
            ),
            (Some("NaN,31.2"), None, None, "is not a number"),
            (Some("181,31.2"), None, None, "longitude 181 is outside"),
            (Some("121,-91"), None, None, "latitude -91 is outside"),
            (Some("121,31"), None, Some("0"), "`limit`"),
            (Some("121,31"), None, Some("101"), "`limit`"),
            (Some("121,31"), None, Some("x"), "`limit`"),
            (None, Some("121,31,122"), None, "`bbox`: expected 4"),
            (None, Some("122,31,121,32"), None, "must not exceed"),
            (None, Some("121,31,122,95"), None, "latitude 95"),
        ] {
            let m = message(parse_place(near, bbox, limit));
            assert!(m.contains(says), "{near:?} {bbox:?} {limit:?}: {m}");
        }
    }
}
