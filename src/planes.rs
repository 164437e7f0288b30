//! JPEG's own colour planes: the form in which the codec hands decoded photos to the pipeline
//! and takes renditions back.

/// An image as JPEG stores colour: a luma plane and a plane of chroma (full-range JFIF
/// YCbCr, untagged sRGB), each chroma sample spanning `subsampling` luma columns and rows.
/// Cb and Cr are kept interleaved, so that resampling them is one pass with one set of
/// weights.
///
/// Resampling these planes at their own resolutions and encoding them as they are skips the
/// decoder's chroma upsampling and colour conversion and the encoder's conversion back; the
/// chroma holds a quarter (4:2:0) or half (4:2:2) as many pixels as the luma plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ycc {
    /// The luma plane's width and height.
    pub width: u32,
    pub height: u32,
    /// Luma columns and rows per chroma sample: (1, 1), (2, 1), (2, 2), …
    pub subsampling: (u32, u32),
    pub y: Vec<u8>,
    /// Cb and Cr, one after the other for each sample.
    pub cbcr: Vec<u8>,
}

impl Ycc {
    /// The chroma plane's width in samples: the luma width over the horizontal subsampling,
    /// rounded up.
    pub fn chroma_width(&self) -> u32 {
        self.width.div_ceil(self.subsampling.0)
    }

    /// The chroma plane's height: the luma height over the vertical subsampling, rounded up.
    pub fn chroma_height(&self) -> u32 {
        self.height.div_ceil(self.subsampling.1)
    }

    /// Whether every plane holds exactly the samples its size says.
    pub fn is_consistent(&self) -> bool {
        let luma = self.width as usize * self.height as usize;
        let chroma = self.chroma_width() as usize * self.chroma_height() as usize;
        self.subsampling.0 > 0
            && self.subsampling.1 > 0
            && self.y.len() == luma
            && self.cbcr.len() == 2 * chroma
    }
}
