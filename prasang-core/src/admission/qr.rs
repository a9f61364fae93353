//! QR codes of admission codes, drawn as SVG (web pages) and PNG (e-mail, where clients do not
//! show SVG). The text is upper-case base32, so the encoder picks alphanumeric mode.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of empty border the QR specification asks for around the symbol.
const QUIET_ZONE: usize = 4;

fn matrix(text: &str) -> Option<(usize, Vec<bool>)> {
    // Level M survives a crease or a scratch on a printed ticket and still fits an admission
    // code in a version 6 symbol.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|color| color == Color::Dark)
        .collect();
    Some((code.width(), dark))
}

/// An SVG image of `text`'s QR code, one unit per module, scaled by the page (`width`/`height`
/// in CSS). `None` if the text is too long for a QR code.
pub fn svg(text: &str) -> Option<String> {
    let (width, dark) = matrix(text)?;
    let size = width + 2 * QUIET_ZONE;
    // One horizontal stroke per run of dark modules in a row, each placed from the end of the
    // one before: a fraction of the bytes of a square per module, which matters on a page that
    // shows every seat's code (eight seats stay well under the web UI's 50 KB a page).
    let mut path = String::new();
    for (y, row) in dark.chunks(width).enumerate() {
        let mut pen = None;
        let mut x = 0;
        while x < width {
            let run = row[x..].iter().take_while(|dark| **dark).count();
            if run > 0 {
                match pen {
                    None => {
                        let (left, top) = (x + QUIET_ZONE, y + QUIET_ZONE);
                        path.push_str(&format!("M{left} {top}.5h{run}"));
                    }
                    Some(end) => path.push_str(&format!("m{} 0h{run}", x - end)),
                }
                pen = Some(x + run);
            }
            x += run.max(1);
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"none\" stroke=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// A black-and-white PNG of `text`'s QR code, `scale` pixels per module. `None` if the text is
/// too long for a QR code.
pub fn png(text: &str, scale: usize) -> Option<Vec<u8>> {
    let (width, dark) = matrix(text)?;
    let scale = scale.max(1);
    let side = (width + 2 * QUIET_ZONE) * scale;
    // One bit per pixel (1 white, 0 black), rows padded to whole bytes: an eighth of the bytes
    // of 8-bit grey to compress.
    let row_bytes = side.div_ceil(8);
    let mut pixels = vec![0xFFu8; row_bytes * side];
    for (index, _) in dark.iter().enumerate().filter(|(_, dark)| **dark) {
        let (x, y) = (index % width + QUIET_ZONE, index / width + QUIET_ZONE);
        for row in y * scale..(y + 1) * scale {
            for column in x * scale..(x + 1) * scale {
                pixels[row * row_bytes + column / 8] &= !(0x80 >> (column % 8));
            }
        }
    }
    let side = u32::try_from(side).ok()?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    // Each module row repeats `scale` times, which only a full deflate search finds, and
    // filters (predicting a byte from its neighbours) only scramble 1-bit pixels: unfiltered
    // and at the best level, an admission code's image at scale 6 is 0.7 kB in every booking
    // e-mail, once per seat; 6.7 kB at png's default level, 12 kB as 8-bit grey.
    encoder.set_filter(png::FilterType::NoFilter);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&pixels).ok()?;
    writer.finish().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_have_the_symbol_size() {
        let text = "A".repeat(141);
        let (width, _) = matrix(&text).expect("fits");
        let image = svg(&text).expect("svg");
        let side = width + 2 * QUIET_ZONE;
        assert!(image.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        let png = png(&text, 4).expect("png");
        assert_eq!(&png[1..4], b"PNG");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("reads back");
        assert_eq!(reader.info().width as usize, side * 4);
        // Pixel for pixel the symbol, with its quiet zone: read back as 8-bit grey.
        let mut buffer = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buffer).expect("pixels");
        let grey = expand_bits(&buffer[..frame.buffer_size()], side * 4);
        let pixel = |x: usize, y: usize| grey[y * side * 4 + x];
        let (width, dark) = matrix(&text).expect("fits");
        for (index, dark) in dark.iter().enumerate() {
            let (x, y) = (index % width + QUIET_ZONE, index / width + QUIET_ZONE);
            for (px, py) in [(x * 4, y * 4), (x * 4 + 3, y * 4 + 3)] {
                assert_eq!(pixel(px, py) == 0, *dark, "module {x},{y}");
            }
        }
        assert!((0..side * 4).all(|i| pixel(i, 0) == 255 && pixel(0, i) == 255));
        assert!(svg(&"A".repeat(5000)).is_none());
    }

    /// 1-bit rows of `side` pixels (padded to bytes) as one byte per pixel, 0 or 255.
    fn expand_bits(rows: &[u8], side: usize) -> Vec<u8> {
        rows.chunks(side.div_ceil(8))
            .flat_map(|row| (0..side).map(move |x| (row[x / 8] >> (7 - x % 8) & 1) * 255))
            .collect()
    }

    /// The SVG's strokes (one per run of a row) cover exactly the dark modules.
    #[test]
    fn the_svg_draws_exactly_the_dark_modules() {
        let text = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".repeat(4);
        let (width, dark) = matrix(&text).expect("fits");
        let image = svg(&text).expect("svg");
        let path = image.split("d=\"").nth(1).and_then(|d| d.split('"').next());
        let number = |text: &str| text.parse::<usize>().expect("a number");
        let mut drawn = vec![false; width * width];
        // A row: `M{x} {y}.5h{run}`, then `m{gap} 0h{run}` for each further run.
        for row in path.expect("a path").split('M').filter(|r| !r.is_empty()) {
            let (start, runs) = row.split_once('h').expect("M x y h");
            let (x, y) = start.split_once(' ').expect("x y");
            let y = number(y.strip_suffix(".5").expect("mid-module")) - QUIET_ZONE;
            let mut x = number(x) - QUIET_ZONE;
            for (index, piece) in runs.split('m').enumerate() {
                let run = if index == 0 {
                    number(piece)
                } else {
                    let (gap, run) = piece.split_once(" 0h").expect("m gap 0 h run");
                    x += number(gap);
                    number(run)
                };
                for cell in &mut drawn[y * width + x..y * width + x + run] {
                    assert!(!*cell, "drawn twice");
                    *cell = true;
                }
                x += run;
            }
        }
        assert_eq!(drawn, dark);
    }
}
