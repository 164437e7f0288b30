//! The predefined square sizes and which of them a source can yield.

use std::fmt;
use std::str::FromStr;

/// One of the nine predefined square sizes of a photo set (SPEC §1).
///
/// A size is written `"240x240"` in URLs and options; parsing accepts either case of the `x`.
/// Its metadata [`id`](PhotoSize::id) is upper-case: `"240X240"`.
///
/// ```
/// use userphoto::PhotoSize;
///
/// let size: PhotoSize = "240X240".parse()?;
/// assert_eq!(size, PhotoSize::S240);
/// assert_eq!(size.side(), 240);
/// assert_eq!(size.to_string(), "240x240");
/// assert_eq!(size.id(), "240X240");
/// # Ok::<(), userphoto::ParsePhotoSizeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum PhotoSize {
    /// 48x48 pixels, the smallest size; a source must be at least this large.
    S48,
    /// 64x64 pixels.
    S64,
    /// 96x96 pixels.
    S96,
    /// 120x120 pixels.
    S120,
    /// 240x240 pixels.
    S240,
    /// 360x360 pixels.
    S360,
    /// 432x432 pixels.
    S432,
    /// 504x504 pixels.
    S504,
    /// 648x648 pixels, the largest size.
    S648,
}

impl PhotoSize {
    /// Every predefined size, ascending.
    pub const ALL: [PhotoSize; 9] = [
        PhotoSize::S48,
        PhotoSize::S64,
        PhotoSize::S96,
        PhotoSize::S120,
        PhotoSize::S240,
        PhotoSize::S360,
        PhotoSize::S432,
        PhotoSize::S504,
        PhotoSize::S648,
    ];

    /// The smallest size; a source whose usable side is below it is rejected.
    pub const SMALLEST: PhotoSize = PhotoSize::S48;

    /// The largest size.
    pub const LARGEST: PhotoSize = PhotoSize::S648;

    /// The side of the square, in pixels.
    pub const fn side(self) -> u32 {
        match self {
            PhotoSize::S48 => 48,
            PhotoSize::S64 => 64,
            PhotoSize::S96 => 96,
            PhotoSize::S120 => 120,
            PhotoSize::S240 => 240,
            PhotoSize::S360 => 360,
            PhotoSize::S432 => 432,
            PhotoSize::S504 => 504,
            PhotoSize::S648 => 648,
        }
    }

    /// The size whose side is exactly `side` pixels, if it is a predefined one.
    pub fn from_side(side: u32) -> Option<PhotoSize> {
        PhotoSize::ALL.into_iter().find(|s| s.side() == side)
    }

    /// The metadata `Id` of this size, upper-case: `"240X240"`.
    pub const fn id(self) -> &'static str {
        match self {
            PhotoSize::S48 => "48X48",
            PhotoSize::S64 => "64X64",
            PhotoSize::S96 => "96X96",
            PhotoSize::S120 => "120X120",
            PhotoSize::S240 => "240X240",
            PhotoSize::S360 => "360X360",
            PhotoSize::S432 => "432X432",
            PhotoSize::S504 => "504X504",
            PhotoSize::S648 => "648X648",
        }
    }

    /// The name used in URLs and file names, lower-case: `"240x240"`.
    pub const fn name(self) -> &'static str {
        match self {
            PhotoSize::S48 => "48x48",
            PhotoSize::S64 => "64x64",
            PhotoSize::S96 => "96x96",
            PhotoSize::S120 => "120x120",
            PhotoSize::S240 => "240x240",
            PhotoSize::S360 => "360x360",
            PhotoSize::S432 => "432x432",
            PhotoSize::S504 => "504x504",
            PhotoSize::S648 => "648x648",
        }
    }

    /// Every predefined size no larger than `usable_side`, ascending.
    ///
    /// Empty when `usable_side` is below 48: such a source is too small.
    ///
    /// ```
    /// use userphoto::PhotoSize;
    ///
    /// assert_eq!(PhotoSize::fitting(600).last(), Some(&PhotoSize::S504));
    /// assert_eq!(PhotoSize::fitting(3024).len(), 9);
    /// assert!(PhotoSize::fitting(47).is_empty());
    /// ```
    pub fn fitting(usable_side: u32) -> &'static [PhotoSize] {
        let count = PhotoSize::ALL
            .iter()
            .take_while(|s| s.side() <= usable_side)
            .count();
        &PhotoSize::ALL[..count]
    }
}

impl fmt::Display for PhotoSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text given for a [`PhotoSize`] is not one of the nine sizes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a photo size; expected one of 48x48, 64x64, 96x96, 120x120, 240x240, 360x360, 432x432, 504x504, 648x648")]
pub struct ParsePhotoSizeError {
    input: String,
}

impl FromStr for PhotoSize {
    type Err = ParsePhotoSizeError;

    /// Parses `"240x240"` or `"240X240"`; both sides must be equal and predefined.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParsePhotoSizeError {
            input: s.chars().take(64).collect(),
        };
        let (w, h) = s.split_once(['x', 'X']).ok_or_else(error)?;
        if w != h || w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        PhotoSize::ALL
            .into_iter()
            .find(|size| size.side().to_string() == w)
            .ok_or_else(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_cases_and_rejects_the_rest() {
        for size in PhotoSize::ALL {
            assert_eq!(size.name().parse::<PhotoSize>(), Ok(size));
            assert_eq!(size.id().parse::<PhotoSize>(), Ok(size));
            assert_eq!(size.to_string().to_uppercase(), size.id());
        }
        for bad in [
            "",
            "x",
            "240",
            "240x",
            "x240",
            "240x120",
            "100x100",
            "0240x0240",
            " 48x48",
            "+48x+48",
            "48x48x48",
        ] {
            assert!(bad.parse::<PhotoSize>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn fitting_follows_the_spec_examples() {
        assert!(PhotoSize::fitting(0).is_empty());
        assert_eq!(PhotoSize::fitting(48), &[PhotoSize::S48]);
        assert_eq!(PhotoSize::fitting(504).len(), 8);
        assert_eq!(PhotoSize::fitting(600).len(), 8);
        assert_eq!(PhotoSize::fitting(648).len(), 9);
        assert_eq!(PhotoSize::fitting(u32::MAX).len(), 9);
    }
}
