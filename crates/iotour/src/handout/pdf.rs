//! `--pdf OUT.pdf`: the handout's SVG converted in-process (usvg parses it,
//! svg2pdf writes the PDF), so no system tool is needed. DejaVu Sans (from
//! the `dejavu` crate) is embedded and is the sans-serif face; the system's
//! fonts are added too, for glyphs DejaVu lacks: Chinese text needs a CJK
//! font on the machine (e.g. Noto Sans CJK), else those glyphs are missing.

use svg2pdf::usvg;

/// Why the PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the handout is not SVG that usvg reads: {0}")]
    Parse(String),
    #[error("cannot convert the handout to PDF: {0}")]
    Convert(String),
}

/// The PDF of the handout `svg`, one page of its size (96 px to the inch).
pub fn to_pdf(svg: &str) -> Result<Vec<u8>, PdfError> {
    let mut options = usvg::Options::default();
    let db = options.fontdb_mut();
    for face in [
        dejavu::sans::regular(),
        dejavu::sans::bold(),
        dejavu::sans::oblique(),
        dejavu::sans::bold_oblique(),
    ] {
        db.load_font_data(face.to_vec());
    }
    db.load_system_fonts();
    db.set_sans_serif_family("DejaVu Sans");
    // The handout names common faces first; in the PDF, the embedded one.
    let svg = svg.replacen(
        super::svg::FONT_FAMILY,
        "'DejaVu Sans', 'Noto Sans CJK SC', sans-serif",
        1,
    );
    let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| PdfError::Parse(e.to_string()))?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions { dpi: 96.0 },
    )
    .map_err(|e| PdfError::Convert(e.to_string()))
}
