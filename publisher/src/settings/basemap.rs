//! `[publisher.basemap]`: an optional tile layer drawn under the dashboard
//! map's districts, for deployments that may load tiles from another site
//! (the national Tianditu service, the operator's own tile server). Absent,
//! the page asks nothing of any other origin and the page's
//! Content-Security-Policy allows images from its own origin only.

use serde::{Deserialize, Serialize};

use super::PublicUrl;

/// The basemap: where its tiles come from and whom to credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasemapSettings {
    /// Web Mercator tiles (the slippy-map grid): a URL with `{z}`, `{x}`
    /// and `{y}`, e.g. `https://tiles.example.gov.cn/{z}/{x}/{y}.png`.
    pub tiles: TileUrl,
    /// Shown on the map as the tiles' licence requires.
    pub attribution: String,
    /// The deepest zoom the service has.
    #[serde(default = "default_max_zoom")]
    pub max_zoom: u8,
}

const fn default_max_zoom() -> u8 {
    18
}

/// A tile URL template, checked: an http(s) origin, then a path holding
/// `{z}`, `{x}` and `{y}`. The origin is what the page's policy allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TileUrl {
    template: String,
    origin: PublicUrl,
}

impl TileUrl {
    /// Parses a template.
    ///
    /// # Errors
    /// Names what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let template = text.trim();
        let after_scheme = template
            .split_once("://")
            .map(|(_, rest)| rest)
            .ok_or_else(|| format!("basemap tiles {template:?} must start with https://"))?;
        let authority_len = after_scheme.find('/').ok_or_else(|| {
            format!("basemap tiles {template:?} need a path with {{z}}, {{x}} and {{y}}")
        })?;
        let origin_len = template.len() - after_scheme.len() + authority_len;
        let origin = PublicUrl::parse(&template[..origin_len])
            .map_err(|e| format!("basemap tiles: the origin {e}"))?;
        for part in ["{z}", "{x}", "{y}"] {
            if !template[origin_len..].contains(part) {
                return Err(format!("basemap tiles {template:?} have no {part}"));
            }
        }
        if template.contains(['"', '\'', ' ', ';', ',']) {
            return Err(format!(
                "basemap tiles {template:?} may not contain quotes, spaces, ';' or ','"
            ));
        }
        Ok(Self {
            template: template.to_owned(),
            origin,
        })
    }

    /// The template as configured.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The tiles' origin, `https://host[:port]`.
    pub fn origin(&self) -> String {
        self.origin.origin()
    }
}

impl TryFrom<String> for TileUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<TileUrl> for String {
    fn from(url: TileUrl) -> Self {
        url.template
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_gives_its_origin() {
        let url =
            TileUrl::parse("https://t0.Tiles.example.gov.cn:8443/img/{z}/{x}/{y}.png").unwrap();
        assert_eq!(url.origin(), "https://t0.tiles.example.gov.cn:8443");
        assert_eq!(
            url.template(),
            "https://t0.Tiles.example.gov.cn:8443/img/{z}/{x}/{y}.png"
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        for text in [
            "tiles.example.gov.cn/{z}/{x}/{y}.png",
            "ftp://tiles.example.gov.cn/{z}/{x}/{y}.png",
            "https://tiles.example.gov.cn",
            "https://tiles.example.gov.cn/{z}/{x}.png",
            "https://{z}.example.gov.cn/{x}/{y}.png",
            "https://user@tiles.example.gov.cn/{z}/{x}/{y}.png",
            "https://tiles.example.gov.cn/{z}/{x}/{y}.png; script-src *",
        ] {
            assert!(TileUrl::parse(text).is_err(), "{text}");
        }
    }
}
