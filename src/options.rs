//! What a caller can choose: quality, background and limits.

/// How [`ingest`](crate::ingest) renders a photo set.
///
/// `Options::default()` is what the service does: quality 85 on a white background, with the
/// default [`Limits`].
///
/// ```
/// use userphoto::{Background, Limits, Options};
///
/// let options = Options {
///     quality: 90,
///     background: Background::rgb(0, 0, 0),
///     limits: Limits { max_input_bytes: 4 << 20, ..Limits::default() },
/// };
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Options {
    /// JPEG quality of every rendition, 1–100 (values outside are clamped). Default 85.
    ///
    /// Higher is better and larger, on libjpeg's scale of the quantisation tables; each size
    /// takes it with a small offset of its own (finer luma and coarser chroma for the large
    /// sizes, coarser for the small ones, whose DSSIM has room to spare), so that at 85 every
    /// size is as good as or better than sharp, libvips and Pillow at their 85 (DESIGN.md,
    /// "Encoder").
    pub quality: u8,
    /// The colour transparent pixels are composited over. Default white.
    pub background: Background,
    /// The input limits, checked before any pixel memory is allocated.
    pub limits: Limits,
}

impl Options {
    /// The default JPEG quality, 85.
    pub const DEFAULT_QUALITY: u8 = 85;

    /// The quality actually used: `quality` clamped to 1–100.
    pub fn effective_quality(&self) -> u8 {
        self.quality.clamp(1, 100)
    }
}

/// What decides a rendition's bytes besides the upload: the options that change them and
/// the [`PIPELINE_VERSION`](crate::PIPELINE_VERSION) of the build. Stores of renditions record
/// it beside them; when it differs from [`RenderOptions::of`] the current options, the stored
/// renditions are not what this build would make, and the photo can be rendered again.
///
/// ```
/// use userphoto::{Options, RenderOptions};
///
/// let stored = RenderOptions::of(&Options { quality: 70, ..Options::default() });
/// assert_ne!(stored, RenderOptions::of(&Options::default()));
/// assert_eq!(stored.background, "ffffff");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RenderOptions {
    /// JPEG quality, 1–100.
    pub quality: u8,
    /// Background colour for transparency, as `rrggbb`.
    pub background: String,
    /// [`PIPELINE_VERSION`](crate::PIPELINE_VERSION) of the build that rendered.
    pub pipeline: String,
}

impl RenderOptions {
    /// The options recorded for renders made with `options` by this build.
    pub fn of(options: &Options) -> RenderOptions {
        let b = options.background;
        RenderOptions {
            quality: options.effective_quality(),
            background: format!("{:02x}{:02x}{:02x}", b.r, b.g, b.b),
            pipeline: crate::PIPELINE_VERSION.to_owned(),
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            quality: Options::DEFAULT_QUALITY,
            background: Background::WHITE,
            limits: Limits::default(),
        }
    }
}

/// An opaque sRGB colour that transparency is composited over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Background {
    /// Red, 0–255.
    pub r: u8,
    /// Green, 0–255.
    pub g: u8,
    /// Blue, 0–255.
    pub b: u8,
}

impl Background {
    /// White, the default.
    pub const WHITE: Background = Background::rgb(255, 255, 255);

    /// The colour with these sRGB components.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Background {
        Background { r, g, b }
    }

    /// Parses `"#RRGGBB"` or `"RRGGBB"` (hex, either case).
    ///
    /// ```
    /// use userphoto::Background;
    ///
    /// assert_eq!(Background::parse_hex("#ff8000"), Some(Background::rgb(255, 128, 0)));
    /// assert_eq!(Background::parse_hex("white"), None);
    /// ```
    pub fn parse_hex(text: &str) -> Option<Background> {
        let hex = text.strip_prefix('#').unwrap_or(text);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Background::rgb(channel(0)?, channel(2)?, channel(4)?))
    }
}

impl Default for Background {
    fn default() -> Background {
        Background::WHITE
    }
}

/// Ceilings on what an upload may declare. Every one is strict and is checked from the file's
/// header before any pixel memory is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest accepted upload, in bytes. Default 32 MiB (the reference server lowers it to the
    /// service's 4 MiB).
    pub max_input_bytes: u64,
    /// Largest accepted width × height, in pixels. Default 64 megapixels (64 × 2²⁰ = 67,108,864),
    /// which an 8192x8192 photo fits.
    pub max_pixels: u64,
    /// Largest accepted width or height, in pixels. Default 16384.
    pub max_side: u32,
}

impl Limits {
    /// Default for [`max_input_bytes`](Limits::max_input_bytes): 32 MiB.
    pub const DEFAULT_MAX_INPUT_BYTES: u64 = 32 << 20;
    /// Default for [`max_pixels`](Limits::max_pixels): 64 megapixels.
    pub const DEFAULT_MAX_PIXELS: u64 = 64 << 20;
    /// Default for [`max_side`](Limits::max_side): 16384.
    pub const DEFAULT_MAX_SIDE: u32 = 16384;

    /// Most scans a JPEG may have; a file with more is rejected as
    /// [`Unsupported`](crate::Error::Unsupported). Fixed, not configurable.
    ///
    /// A progressive JPEG may legally hold any number of scans and the decoder goes over the
    /// image once per scan, so a small file of thousands of tiny scans can keep it busy for
    /// minutes. Encoders write at most a few dozen (libjpeg 10, mozjpeg's optimised scripts
    /// under 30); 100 leaves room for unusual ones.
    pub const MAX_JPEG_SCANS: u32 = 100;

    /// Most bytes a PNG decoder may hold for metadata: ancillary chunks (text, EXIF), the
    /// inflated ICC profile, and a row of pixels. Fixed, not configurable: 16 MiB.
    ///
    /// Real ICC profiles are at most a few megabytes; a compressed `iCCP` that inflates past
    /// this is ignored (the image is taken as sRGB), and metadata chunks past it make the file
    /// rejected as [`Corrupt`](crate::Error::Corrupt). Compressed text (`zTXt`, `iTXt`) is
    /// never inflated.
    pub const MAX_METADATA_BYTES: u64 = 16 << 20;

    /// Checks declared dimensions against the limits.
    pub(crate) fn check_dimensions(&self, width: u64, height: u64) -> Result<(), crate::Error> {
        let too_large = |limit: String| crate::Error::DimensionsTooLarge {
            width,
            height,
            limit,
        };
        if width > u64::from(self.max_side) || height > u64::from(self.max_side) {
            return Err(too_large(format!("{} pixels per side", self.max_side)));
        }
        // Both factors are at most u32::MAX here, so the product cannot overflow a u64.
        if width * height > self.max_pixels {
            return Err(too_large(format!("{} pixels in all", self.max_pixels)));
        }
        Ok(())
    }

    /// Bytes a decoder may allocate for an image within these limits: four 16-bit channels
    /// for every allowed pixel, plus room for metadata such as ICC profiles.
    pub(crate) fn decoder_allocation(&self) -> u64 {
        self.max_pixels.saturating_mul(8).saturating_add(64 << 20)
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_input_bytes: Limits::DEFAULT_MAX_INPUT_BYTES,
            max_pixels: Limits::DEFAULT_MAX_PIXELS,
            max_side: Limits::DEFAULT_MAX_SIDE,
        }
    }
}
