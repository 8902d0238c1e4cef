//! The font that draws text into PNG charts: a CJK face, loaded once at
//! start from a configured path or the first of the usual system paths.
//!
//! SVG charts carry their text as `<text>` and let the viewer's fonts draw
//! it; a PNG must contain the glyphs themselves, and most Latin-only fonts
//! would draw Chinese as missing-glyph boxes. The font is read at run time
//! rather than built into the binary: Noto Sans CJK is about 19 MB, and
//! Debian's `fonts-noto-cjk` (installed by `deploy/provision.sh`) keeps it
//! up to date. Glyphs are laid out and rasterised with `ab_glyph`, pure Rust.

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, GlyphId, PxScale, ScaleFont, point};

/// Where the usual distributions put a CJK font with Simplified Chinese
/// glyphs, tried in order when no path is configured.
pub(crate) const FONT_SEARCH_PATHS: [&str; 7] = [
    // Debian and Ubuntu: fonts-noto-cjk.
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    // Fedora: google-noto-sans-cjk-fonts.
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
    // Arch: noto-fonts-cjk.
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    // Alpine: font-noto-cjk.
    "/usr/share/fonts/noto/NotoSansCJK-Regular.ttc",
    // Debian: fonts-wqy-microhei and fonts-wqy-zenhei.
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    // Debian: fonts-droid-fallback.
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
];

/// The face of a collection to prefer: Simplified Chinese glyph shapes.
/// Noto's collection also holds the Japanese, Korean and Traditional faces,
/// which draw some shared characters differently.
const PREFERRED_FACE: &str = "Noto Sans CJK SC";

/// Why no font could be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FontError {
    /// The configured file could not be read.
    #[error("cannot read the chart font {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a font ab_glyph can use.
    #[error("{path} is not an OpenType or TrueType font")]
    Invalid { path: PathBuf },
    /// The font has no glyph for a test character of Chinese.
    #[error("{path} has no Chinese glyphs")]
    NoCjk { path: PathBuf },
    /// Nothing configured and none of the search paths exists.
    #[error("no CJK font found; install fonts-noto-cjk or set [publisher] chart_font")]
    NotFound,
}

/// A loaded font face.
pub(crate) struct ChartFont {
    font: FontVec,
    path: PathBuf,
    face_name: String,
}

impl std::fmt::Debug for ChartFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartFont")
            .field("path", &self.path)
            .field("face_name", &self.face_name)
            .finish_non_exhaustive()
    }
}

impl ChartFont {
    /// Loads `configured`, or else the first font of [`FONT_SEARCH_PATHS`]
    /// that exists.
    ///
    /// # Errors
    /// A configured path that cannot be used is an error (a typo should not
    /// silently pick another font); so is finding none.
    pub(crate) fn load(configured: Option<&Path>) -> Result<Self, FontError> {
        if let Some(path) = configured {
            return Self::from_file(path);
        }
        FONT_SEARCH_PATHS
            .iter()
            .map(Path::new)
            .find(|p| p.is_file())
            .map_or(Err(FontError::NotFound), Self::from_file)
    }

    /// Loads the font at `path`, picking the Simplified Chinese face of a
    /// collection.
    pub(crate) fn from_file(path: &Path) -> Result<Self, FontError> {
        let data = std::fs::read(path).map_err(|source| FontError::Read {
            path: path.to_owned(),
            source,
        })?;
        let (index, face_name) = choose_face(&data);
        let font =
            FontVec::try_from_vec_and_index(data, index).map_err(|_| FontError::Invalid {
                path: path.to_owned(),
            })?;
        // 中 U+4E2D: any font that can draw Chinese has it.
        if font.glyph_id('中') == GlyphId(0) {
            return Err(FontError::NoCjk {
                path: path.to_owned(),
            });
        }
        Ok(Self {
            font,
            path: path.to_owned(),
            face_name,
        })
    }

    /// The file the font came from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The face's family name.
    pub(crate) fn face_name(&self) -> &str {
        &self.face_name
    }

    /// The scale at which an em is `size` pixels, as CSS `font-size` means.
    fn scale(&self, size: f64) -> PxScale {
        let units_per_em = self.font.units_per_em().unwrap_or(1000.0);
        #[allow(clippy::cast_possible_truncation)]
        PxScale::from(size as f32 * self.font.height_unscaled() / units_per_em)
    }

    /// The advance width of `text` at `size` pixels per em.
    pub(crate) fn width(&self, text: &str, size: f64) -> f64 {
        let scaled = self.font.as_scaled(self.scale(size));
        let mut width = 0.0_f32;
        let mut previous: Option<GlyphId> = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(previous) = previous {
                width += scaled.kern(previous, id);
            }
            width += scaled.h_advance(id);
            previous = Some(id);
        }
        f64::from(width)
    }

    /// Rasterises `text` with its baseline starting at (`x`, `baseline`),
    /// calling `plot(x, y, coverage)` for every touched pixel. Returns how
    /// many characters had no glyph (drawn as the font's missing-glyph box).
    pub(crate) fn rasterise(
        &self,
        text: &str,
        size: f64,
        x: f64,
        baseline: f64,
        mut plot: impl FnMut(i32, i32, f32),
    ) -> usize {
        let scaled = self.font.as_scaled(self.scale(size));
        #[allow(clippy::cast_possible_truncation)]
        let mut caret = point(x as f32, baseline as f32);
        let mut previous: Option<GlyphId> = None;
        let mut missing = 0;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if id == GlyphId(0) && !c.is_whitespace() {
                missing += 1;
            }
            if let Some(previous) = previous {
                caret.x += scaled.kern(previous, id);
            }
            let glyph = id.with_scale_and_position(scaled.scale(), caret);
            caret.x += scaled.h_advance(id);
            previous = Some(id);
            if let Some(outlined) = self.font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                #[allow(clippy::cast_possible_truncation)]
                let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
                outlined.draw(|gx, gy, coverage| {
                    #[allow(clippy::cast_possible_wrap)]
                    plot(left + gx as i32, top + gy as i32, coverage);
                });
            }
        }
        missing
    }
}

/// The index and family name of the face to use in a font file: the
/// preferred Simplified Chinese face of a collection, else any face whose
/// family names Simplified Chinese ("SC"), else the first.
fn choose_face(data: &[u8]) -> (u32, String) {
    let count = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    let names: Vec<String> = (0..count)
        .map(|index| {
            ttf_parser::Face::parse(data, index)
                .ok()
                .and_then(|face| {
                    face.names()
                        .into_iter()
                        .filter(|n| n.name_id == ttf_parser::name_id::FAMILY && n.is_unicode())
                        .find_map(|n| n.to_string())
                })
                .unwrap_or_default()
        })
        .collect();
    let pick = names
        .iter()
        .position(|n| n == PREFERRED_FACE)
        .or_else(|| names.iter().position(|n| n.split(' ').any(|w| w == "SC")))
        .unwrap_or(0);
    let name = names.get(pick).cloned().unwrap_or_default();
    (u32::try_from(pick).unwrap_or(0), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The provisioned font; every machine that runs the tests has it
    /// (`deploy/provision.sh` installs fonts-noto-cjk).
    fn font() -> ChartFont {
        ChartFont::load(None).expect("a CJK font is installed (deploy/provision.sh)")
    }

    /// Renders `text` at 32 px into a white canvas and returns its
    /// grey levels (0 = black), row by row.
    fn render(font: &ChartFont, text: &str) -> Vec<u8> {
        let (w, h) = (200_usize, 48_usize);
        let mut canvas = vec![255_u8; w * h];
        font.rasterise(text, 32.0, 4.0, 38.0, |x, y, coverage| {
            if let (Ok(x), Ok(y)) = (usize::try_from(x), usize::try_from(y))
                && x < w
                && y < h
            {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let ink = (coverage.clamp(0.0, 1.0) * 255.0) as u8;
                canvas[y * w + x] = canvas[y * w + x].saturating_sub(ink);
            }
        });
        canvas
    }

    fn dark(canvas: &[u8]) -> usize {
        canvas.iter().filter(|&&g| g < 128).count()
    }

    fn differing(a: &[u8], b: &[u8]) -> usize {
        a.iter()
            .zip(b)
            .filter(|(x, y)| x.abs_diff(**y) > 64)
            .count()
    }

    #[test]
    fn default_search_picks_the_simplified_chinese_face() {
        let font = font();
        assert!(
            font.face_name().contains("SC") || !font.path().ends_with("NotoSansCJK-Regular.ttc"),
            "picked {} from {}",
            font.face_name(),
            font.path().display()
        );
    }

    #[test]
    fn chinese_text_draws_real_glyphs_not_missing_glyph_boxes() {
        let font = font();
        let air = render(&font, "空气质量");
        let ozone = render(&font, "臭氧浓度");
        // Private-use code points: no font has them, so they show what
        // missing glyphs look like here.
        let tofu_a = render(&font, "\u{E000}\u{E001}\u{E002}\u{E003}");
        let tofu_b = render(&font, "\u{E010}\u{E011}\u{E012}\u{E013}");
        // Missing glyphs all draw the same box: different missing strings
        // give the same pixels. This is why "two strings differ" is a test.
        assert_eq!(differing(&tofu_a, &tofu_b), 0);
        // Real glyphs: ink, and each string its own shape.
        assert!(dark(&air) > 400, "only {} dark pixels", dark(&air));
        assert!(
            differing(&air, &ozone) > 300,
            "空气质量 and 臭氧浓度 look alike"
        );
        assert!(differing(&air, &tofu_a) > 300, "空气质量 looks like boxes");
        let labels = "空气质量 PM2.5 µg/m³ Ⅲ类 劣Ⅴ类 北京时间";
        assert_eq!(font.rasterise(labels, 16.0, 0.0, 16.0, |_, _, _| {}), 0);
        assert_eq!(font.rasterise("\u{E000}", 16.0, 0.0, 16.0, |_, _, _| {}), 1);
    }

    #[test]
    fn a_configured_path_that_is_not_a_font_is_refused() {
        let error = ChartFont::load(Some(Path::new("/etc/hostname"))).unwrap_err();
        assert!(matches!(error, FontError::Invalid { .. }), "{error}");
        let error = ChartFont::load(Some(Path::new("/no/such/font.ttf"))).unwrap_err();
        assert!(matches!(error, FontError::Read { .. }), "{error}");
    }
}
