//! The JPEG plan: the scale to decode at, the region and bands to decode, planes or packed
//! pixels, and what decodes a file the planar decoder declines.

use super::{crop_to_square, sizes_for, Decoded};
use crate::crop;
use crate::error::Error;
use crate::geometry::Rect;
use crate::jpeg::backend::{Active, Backend, Packed};
use crate::jpeg::crop::{crop_to_intervals, Band, Cropped};
use crate::jpeg::{self, Declined};
use crate::options::Limits;
use crate::orient::Orientation;
use crate::raster::{Channels, Pixels, Raster};
use crate::size::PhotoSize;
use crate::sniff::Format;

/// How a JPEG is coded, as far as the plan cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    /// One or more sequential scans (baseline or extended Huffman).
    Sequential,
    /// Spectral bands and bit planes over several scans.
    Progressive,
    /// Lossless (SOF3): predicted samples of 2 to 16 bits, no DCT, so no scaling either.
    Lossless,
}

/// What the plan needs of a JPEG's header.
struct Header {
    width: u32,
    height: u32,
    channels: Channels,
    coding: Coding,
    orientation: Orientation,
    icc: Option<Vec<u8>>,
    sizes: &'static [PhotoSize],
}

/// Decodes the JPEG `bytes` within `limits`: makes standard what libjpeg tolerates (see
/// [`jpeg::normalise`]), reads the header, picks the scale and the region, decodes it, and
/// crops to the centre square.
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, Error> {
    // Every decoder below reads the same standard file.
    let bytes = &*jpeg::normalise(bytes);
    let header = read_header(bytes, limits)?;
    let eighths = scale_for(&header);
    let square = crop::stored_centre_square(header.width, header.height, header.orientation);
    let decoded = if header.coding == Coding::Lossless {
        decode_lossless(bytes, &header, limits)?
    } else {
        decode_region(bytes, &header, square, eighths, limits)?.0
    };
    let square = square.relative_scaled(decoded.origin, f64::from(decoded.eighths) / 8.0);
    Ok(crop_to_square(
        decoded.pixels,
        square,
        header.orientation,
        header.icc,
        header.sizes,
        (header.width, header.height),
    ))
}

/// Reads the header with jpeg-decoder (which allocates nothing for pixels), checks the limits,
/// the coding and the scan count, and gives what the plan needs.
fn read_header(bytes: &[u8], limits: &Limits) -> Result<Header, Error> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(from_jpeg)?;
    let info = decoder
        .info()
        .ok_or_else(|| Error::corrupt(Format::Jpeg, "no frame header (SOF) found"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if width == 0 || height == 0 {
        return Err(Error::corrupt(
            Format::Jpeg,
            "the frame declares a zero width or height",
        ));
    }
    limits.check_dimensions(u64::from(width), u64::from(height))?;
    let coding = match info.coding_process {
        jpeg_decoder::CodingProcess::DctSequential => Coding::Sequential,
        jpeg_decoder::CodingProcess::DctProgressive => Coding::Progressive,
        jpeg_decoder::CodingProcess::Lossless => Coding::Lossless,
    };
    if jpeg::count_scans(bytes, Limits::MAX_JPEG_SCANS) > Limits::MAX_JPEG_SCANS {
        return Err(Error::unsupported(
            Format::Jpeg,
            format!("more than {} scans", Limits::MAX_JPEG_SCANS),
        ));
    }
    // The EXIF segment comes before the frame header, so it has been read by now.
    let orientation = decoder
        .exif_data()
        .map(Orientation::from_exif_block)
        .unwrap_or_default();
    let sizes = sizes_for(width, height, orientation)?;
    let channels = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Channels::Gray,
        jpeg_decoder::PixelFormat::RGB24 => Channels::Rgb,
        jpeg_decoder::PixelFormat::CMYK32 => Channels::Cmyk,
        jpeg_decoder::PixelFormat::L16 if coding == Coding::Lossless => Channels::Gray,
        jpeg_decoder::PixelFormat::L16 => {
            return Err(Error::unsupported(Format::Jpeg, "16-bit samples"));
        }
    };
    if coding == Coding::Lossless && !matches!(channels, Channels::Gray | Channels::Rgb) {
        return Err(Error::unsupported(
            Format::Jpeg,
            "lossless JPEG (SOF3) of other than one or three components",
        ));
    }
    Ok(Header {
        width,
        height,
        channels,
        coding,
        orientation,
        icc: decoder.icc_profile(),
        sizes,
    })
}

/// The scale, in eighths, to decode at in the DCT domain: the smallest the decoder offers that
/// keeps the square's side at least the headroom (see [`dct_scales`]) times the largest
/// rendition's.
fn scale_for(header: &Header) -> u32 {
    let target = header.sizes[header.sizes.len() - 1].side();
    // Sides come from u16 fields, so times 8 they still fit a u32.
    let short = header.width.min(header.height);
    let (scales, headroom) = dct_scales(header.channels, header.coding);
    scales
        .iter()
        .copied()
        .find(|&n| (short * n).div_ceil(8) * headroom.1 >= target * headroom.0)
        .unwrap_or(8)
}

/// What the pixel step decoded: the pixels, the scale they came at and where in the image
/// their region starts.
struct Region {
    pixels: Pixels,
    eighths: u32,
    origin: (u32, u32),
}

/// Which decoder gave the pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// The planar decoder: the file's own YCbCr planes.
    Planes,
    /// Packed pixels from the backend or jpeg-decoder: the file is not for the planar decoder
    /// (grey, CMYK, a coding the backend takes faster), or it declined it, and why.
    Packed(Option<Declined>),
}

/// Decodes the region of `bytes` around `square` at `eighths`/8 of full scale, and says which
/// way it went.
///
/// The restart intervals wholly outside the square are left out, undecoded, where the file
/// allows it (see [`crop_to_intervals`]), and the rest is split into bands decoded in parallel
/// when there are threads for it. The bands stack up to exactly the pixels of the region, so
/// the thread count never shows in the output.
fn decode_region(
    bytes: &[u8],
    header: &Header,
    square: Rect,
    eighths: u32,
    limits: &Limits,
) -> Result<(Region, Route), Error> {
    let bands = if rayon::current_num_threads() > 1 {
        2
    } else {
        1
    };
    let cropped = crop_to_intervals(bytes, square, bands);
    // Colour stays in JPEG's own planes where the file allows it; tried once.
    let declined = if planes_wanted(header.channels, header.coding) {
        let planar = |bytes: &[u8], size: (u32, u32)| {
            let expected = (scaled(size.0, eighths), scaled(size.1, eighths));
            jpeg::decode_planes(bytes, eighths, expected).map(|ycc| (Pixels::Planar(ycc), eighths))
        };
        let planes = match &cropped {
            Some(cropped) => decode_bands(cropped, &planar),
            None => planar(bytes, (header.width, header.height)).map(|(pixels, used)| Region {
                pixels,
                eighths: used,
                origin: (0, 0),
            }),
        };
        match planes {
            Ok(region) => return Ok((region, Route::Planes)),
            // A layout the planar decoder does not take goes to the packed decoders, which
            // take every layout; so does damage: the planar decoder refuses what a careful
            // decoder would only warn about, and the packed decoders (jpeg-decoder last) give
            // a damaged file the answer, or the error, it gets in both builds.
            Err(declined @ (Declined::Layout(_) | Declined::Damaged(_))) => Some(declined),
        }
    } else {
        None
    };
    // The packed way: the bands, if any, else the whole file; a damaged file gets the answer,
    // or the error, the decoder gives it.
    let packed = |bytes: &[u8], size: (u32, u32)| {
        decode_packed(bytes, eighths, header.channels, size, limits)
            .map(|(raster, used)| (Pixels::Packed(raster), used))
            .map_err(|_| Declined::Damaged("the packed decoder refused a band"))
    };
    let route = Route::Packed(declined);
    if let Some(region) = cropped
        .as_ref()
        .and_then(|cropped| decode_bands(cropped, &packed).ok())
    {
        return Ok((region, route));
    }
    let size = (header.width, header.height);
    let (raster, used) = decode_packed(bytes, eighths, header.channels, size, limits)?;
    let region = Region {
        pixels: Pixels::Packed(raster),
        eighths: used,
        origin: (0, 0),
    };
    Ok((region, route))
}

/// Decodes a lossless JPEG whole with jpeg-decoder (its samples are not DCT coefficients, so
/// there is no scale to decode at) and brings its samples of `precision` bits to 8, the
/// largest to 255: grey, or three components taken as RGB, as lossless files store colour.
fn decode_lossless(bytes: &[u8], header: &Header, limits: &Limits) -> Result<Region, Error> {
    let precision = jpeg::frame(bytes)
        .map_err(|declined| Error::corrupt(Format::Jpeg, declined.to_string()))?
        .precision;
    if !(2..=16).contains(&precision) {
        return Err(Error::corrupt(
            Format::Jpeg,
            format!("lossless samples of {precision} bits"),
        ));
    }
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(
        usize::try_from(limits.decoder_allocation()).unwrap_or(usize::MAX),
    );
    let samples = decoder.decode().map_err(from_jpeg)?;
    // jpeg-decoder gives 8-bit samples as bytes and any other precision as native-endian u16.
    let wide = precision != 8;
    let count = header.width as usize * header.height as usize * header.channels.count();
    if samples.len() != count * if wide { 2 } else { 1 } {
        return Err(Error::corrupt(
            Format::Jpeg,
            format!(
                "decoded {} bytes of samples, not the {}x{} the header declares",
                samples.len(),
                header.width,
                header.height
            ),
        ));
    }
    let largest = (1u32 << precision) - 1;
    let to_8_bits = |v: u32| ((v.min(largest) * 255 + largest / 2) / largest) as u8;
    let data = if wide {
        samples
            .chunks_exact(2)
            .map(|pair| to_8_bits(u32::from(u16::from_ne_bytes([pair[0], pair[1]]))))
            .collect()
    } else {
        samples
    };
    let raster = Raster {
        width: header.width,
        height: header.height,
        channels: header.channels,
        data,
    };
    Ok(Region {
        pixels: Pixels::Packed(raster),
        eighths: 8,
        origin: (0, 0),
    })
}

/// `side` decoded at `eighths`/8 of full scale, as JPEG decoders round it.
fn scaled(side: u32, eighths: u32) -> u32 {
    (side * eighths).div_ceil(8)
}

/// What a decoder gives for a JPEG whose frame is `size` (width, height): its pixels and the
/// scale (in eighths) it decoded at, or why not.
type DecodeFn<'a> = dyn Fn(&[u8], (u32, u32)) -> Result<(Pixels, u32), Declined> + Sync + 'a;

/// Decodes the bands of `cropped` with `decode` (in parallel on the rayon pool) and stacks
/// their own rows, plane by plane. Declined when any band is, or the bands come out at
/// different scales or layouts (one of them refused by libjpeg-turbo): the caller then decodes
/// the whole file, which gives the answer, or the error, that a file decoded in one piece gets.
fn decode_bands(cropped: &Cropped, decode: &DecodeFn<'_>) -> Result<Region, Declined> {
    use rayon::prelude::*;

    let mismatch = Declined::Layout("bands decoded at different scales or layouts");
    let decoded: Vec<(Pixels, u32)> = cropped
        .bands
        .par_iter()
        .map(|band| decode(&band.bytes, (cropped.region.width, band.height)))
        .collect::<Result<_, _>>()?;
    let used = decoded.first().ok_or(mismatch)?.1;
    if decoded.iter().any(|(_, e)| *e != used) {
        return Err(mismatch);
    }
    let origin = (cropped.region.left, cropped.region.top);
    let scale = |v: u32| scaled(v, used);
    let (width, height) = (scale(cropped.region.width), scale(cropped.region.height));
    let mut bands = cropped.bands.iter().zip(decoded);
    let (first, (mut pixels, _)) = bands.next().ok_or(mismatch)?;
    let mut rest: Vec<_> = bands.collect();
    if rest.is_empty() {
        return Ok(Region {
            pixels,
            eighths: used,
            origin,
        });
    }
    // The rows of a plane each band keeps: a plane whose rows each span `down` image rows
    // keeps a `down`th of them (bands meet at rows of MCUs, so at whole chroma rows).
    let kept = |band: &Band, row_bytes: usize, down: u32| {
        let from = scale(band.keep_top - band.top).div_ceil(down) as usize * row_bytes;
        let to = scale(band.keep_end - band.top).div_ceil(down) as usize * row_bytes;
        from..to
    };
    // Stacked in the first band's buffers: they already hold the first rows in place, and
    // growing them costs less than fresh memory for the whole region.
    for (index, plane) in pixels.planes_mut().into_iter().enumerate() {
        let (row_bytes, down) = (plane.row_bytes, plane.down);
        // The first band has no neighbour above: its own rows start the plane.
        let own = kept(first, row_bytes, down);
        if own.start != 0 || own.end > plane.data.len() {
            return Err(mismatch);
        }
        plane.data.truncate(own.end);
        let rows = height.div_ceil(down) as usize;
        // Bounded: the region's scaled size, within the limits checked from the header.
        #[allow(clippy::disallowed_methods)]
        plane
            .data
            .reserve_exact((row_bytes * rows).saturating_sub(plane.data.len()));
        for (band, other) in &mut rest {
            let planes = other.0.planes_mut();
            let same = planes.get(index).ok_or(mismatch)?;
            if (same.row_bytes, same.down) != (row_bytes, down) {
                return Err(mismatch);
            }
            let rows = same.data.get(kept(band, row_bytes, down)).ok_or(mismatch)?;
            plane.data.extend_from_slice(rows);
        }
    }
    pixels.set_height(height);
    if pixels.size() == (width, height) && pixels.is_consistent() {
        Ok(Region {
            pixels,
            eighths: used,
            origin,
        })
    } else {
        Err(mismatch)
    }
}

/// Whether a JPEG of `channels` coded as `coding` is decoded to its own YCbCr planes: colour,
/// sequential, or progressive where the backend leaves those to the planar decoder. Untagged
/// (sRGB) planes are resampled and encoded as they are; tagged ones become RGB for the
/// profile's conversion once cropped to the square (see `crop_to_square`).
fn planes_wanted(channels: Channels, coding: Coding) -> bool {
    let coded = match coding {
        Coding::Sequential => true,
        Coding::Progressive => Active::PLANAR_PROGRESSIVE,
        Coding::Lossless => false,
    };
    channels == Channels::Rgb && coded
}

/// The scales, in eighths, at which the decoder used for `channels` coded as `coding` can
/// decode in the DCT domain, and the headroom (as a fraction) to keep over the largest
/// rendition's side.
///
/// Scaling in the DCT domain is close to averaging blocks of pixels, which aliases: leaving
/// Lanczos3 at least the last 1.5x of the reduction gives the large sizes the DSSIM of a full
/// decode (see DESIGN.md). The planar decoder and libjpeg-turbo offer every eighth, so that
/// costs little. jpeg-decoder offers only 1/8, 1/4, 1/2 and 1, where the step up quadruples the
/// pixels decoded and resampled, so with it the square is only kept at least as large as the
/// largest size.
fn dct_scales(channels: Channels, coding: Coding) -> (&'static [u32], (u32, u32)) {
    let every_eighth = planes_wanted(channels, coding)
        || (Active::PACKED_EVERY_EIGHTH && matches!(channels, Channels::Gray | Channels::Rgb));
    if every_eighth {
        (&[1, 2, 3, 4, 5, 6, 7, 8], (3, 2))
    } else {
        (&[1, 2, 4, 8], (1, 1))
    }
}

/// Decodes the pixels of the JPEG `bytes`, whose frame is `size` (width, height), at
/// `eighths`/8 of full scale in the DCT domain (or the next larger scale the decoder offers),
/// as `channels`; gives the pixels and the scale used.
///
/// The backend decodes what it takes (libjpeg-turbo: grey and colour); anything it does not
/// take or reports, even as a warning (extraneous bytes, a damaged restart interval), goes to
/// jpeg-decoder instead, so damaged files get the same answer from both builds.
fn decode_packed(
    bytes: &[u8],
    eighths: u32,
    channels: Channels,
    size: (u32, u32),
    limits: &Limits,
) -> Result<(Raster, u32), Error> {
    let layout = match channels {
        Channels::Gray => Some(Packed::Grey),
        Channels::Rgb => Some(Packed::Rgb),
        _ => None,
    };
    let expected = (scaled(size.0, eighths), scaled(size.1, eighths));
    let from_backend = layout.and_then(|layout| {
        Active::decode_packed(bytes, eighths, layout, expected, Limits::MAX_JPEG_SCANS)
    });
    if let Some(data) = from_backend {
        let raster = Raster {
            width: expected.0,
            height: expected.1,
            channels,
            data,
        };
        return Ok((raster, eighths));
    }
    let eighths = [1, 2, 4, 8]
        .into_iter()
        .find(|&n| n >= eighths)
        .unwrap_or(8);
    let (width, height) = (scaled(size.0, eighths), scaled(size.1, eighths));
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(from_jpeg)?;
    // Sides come from u16 fields, and scaling never enlarges them.
    let request = |side: u32| u16::try_from(side).unwrap_or(u16::MAX);
    let got = decoder
        .scale(request(width), request(height))
        .map_err(from_jpeg)?;
    if (u32::from(got.0), u32::from(got.1)) != (width, height) {
        return Err(Error::corrupt(
            Format::Jpeg,
            format!(
                "the decoder scales to {}x{}, not the {width}x{height} expected",
                got.0, got.1
            ),
        ));
    }
    decoder.set_max_decoding_buffer_size(
        usize::try_from(limits.decoder_allocation()).unwrap_or(usize::MAX),
    );
    let pixels = decoder.decode().map_err(from_jpeg)?;
    let expected = usize::try_from(u64::from(width) * u64::from(height))
        .ok()
        .and_then(|pixels| pixels.checked_mul(channels.count()));
    if Some(pixels.len()) != expected {
        return Err(Error::corrupt(
            Format::Jpeg,
            format!(
                "decoded {} bytes of pixels, not the {width}x{height} the header declares",
                pixels.len()
            ),
        ));
    }
    Ok((
        Raster {
            width,
            height,
            channels,
            data: pixels,
        },
        eighths,
    ))
}

fn from_jpeg(error: jpeg_decoder::Error) -> Error {
    match error {
        jpeg_decoder::Error::Unsupported(ref feature) => Error::Unsupported {
            format: Format::Jpeg,
            feature: match feature {
                jpeg_decoder::UnsupportedFeature::ArithmeticEntropyCoding => {
                    "arithmetic coding".to_owned()
                }
                jpeg_decoder::UnsupportedFeature::SamplePrecision(bits) => {
                    format!("{bits}-bit samples")
                }
                jpeg_decoder::UnsupportedFeature::Hierarchical => "hierarchical mode".to_owned(),
                other => format!("{other:?}"),
            },
            source: Some(Box::new(error)),
        },
        jpeg_decoder::Error::Io(ref e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::Corrupt {
                format: Format::Jpeg,
                detail: "the file is truncated".to_owned(),
                source: Some(Box::new(error)),
            }
        }
        other => Error::Corrupt {
            format: Format::Jpeg,
            detail: other.to_string(),
            source: Some(Box::new(other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg::testing::{photo, square};

    /// What `decode_bands` stacks is the region decoded in one piece, at every scale, and it
    /// does stack: a wrong stack must fail here, not fall back to a whole decode that hides it.
    #[test]
    fn stacked_bands_are_the_region_in_one_piece() {
        // 4:2:0 with restart intervals, whose chroma upsampling reads the rows across the seam.
        let full = photo(640, 480, 4, false);
        let keep = square(100.0, 0.0, 440.0);
        let whole = crop_to_intervals(&full, keep, 1).expect("one band");
        let split = crop_to_intervals(&full, keep, 2).expect("two bands");
        assert_eq!(split.bands.len(), 2);
        let limits = Limits::default();
        for eighths in [1, 2, 3, 4, 8] {
            let packed = |bytes: &[u8], size: (u32, u32)| {
                decode_packed(bytes, eighths, Channels::Rgb, size, &limits)
                    .map(|(raster, used)| (Pixels::Packed(raster), used))
                    .map_err(|_| Declined::Damaged("refused"))
            };
            assert_stacks(&whole, &split, &packed, eighths);
            let planar = |bytes: &[u8], size: (u32, u32)| {
                let expected = (scaled(size.0, eighths), scaled(size.1, eighths));
                jpeg::decode_planes(bytes, eighths, expected)
                    .map(|ycc| (Pixels::Planar(ycc), eighths))
            };
            assert_stacks(&whole, &split, &planar, eighths);
        }
    }

    fn assert_stacks(whole: &Cropped, split: &Cropped, decode: &DecodeFn<'_>, eighths: u32) {
        let one = decode_bands(whole, decode).expect("one piece");
        let stacked = decode_bands(split, decode).expect("stacked");
        assert_eq!((stacked.eighths, stacked.origin), (one.eighths, one.origin));
        assert_eq!(stacked.pixels.size(), one.pixels.size());
        assert!(
            stacked.pixels == one.pixels,
            "the stack differs at {eighths}/8"
        );
    }

    /// The route a JPEG's pixels took, decoded as `ingest` would.
    fn route_of(bytes: &[u8]) -> Route {
        let limits = Limits::default();
        let header = read_header(bytes, &limits).expect("a header");
        let eighths = scale_for(&header);
        let square = crop::stored_centre_square(header.width, header.height, header.orientation);
        decode_region(bytes, &header, square, eighths, &limits)
            .expect("decoded")
            .1
    }

    /// Why a file went to the packed decoders is known: a layout the planar decoder does not
    /// take, or damage; and colour files it takes never go there.
    #[test]
    fn the_route_says_why_a_file_left_the_planar_decoder() {
        let baseline = photo(320, 240, 0, false);
        assert_eq!(route_of(&baseline), Route::Planes);
        // Grey is not for the planar decoder at all.
        let mut grey = Vec::new();
        jpeg_encoder::Encoder::new(&mut grey, 90)
            .encode(&[100; 320 * 240], 320, 240, jpeg_encoder::ColorType::Luma)
            .expect("grey");
        assert_eq!(route_of(&grey), Route::Packed(None));
        // Adobe's flag for RGB stored as it is: a layout.
        let mut adobe = vec![0xFF, 0xEE, 0, 14];
        adobe.extend_from_slice(b"Adobe\0\x64\0\0\0\0\0");
        let rgb = [&baseline[..2], &adobe, &baseline[2..]].concat();
        assert!(matches!(
            route_of(&rgb),
            Route::Packed(Some(Declined::Layout(_)))
        ));
        // Bytes left over before the end of the image: damage, which jpeg-decoder takes.
        let eoi = baseline.len() - 2;
        let extra = [&baseline[..eoi], &[0x12, 0x34], &baseline[eoi..]].concat();
        assert!(matches!(
            route_of(&extra),
            Route::Packed(Some(Declined::Damaged(_)))
        ));
    }
}
