//! Drawing the App and its panels into a `TestBackend` for the screen
//! tests (colour off: glyphs, not colours, carry every distinction).

use iotour::app::App;
use iotour::ui::{self, Theme, View};
use iotour_core::scenario::Lang;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

pub static THEME: std::sync::LazyLock<Theme> = std::sync::LazyLock::new(|| Theme::new(false));

/// The whole screen at `w`×`h`.
pub fn screen(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, app, &THEME)).unwrap();
    t
}

/// The panel called `name` (the names `draw_panel` knows) drawn alone at `w`×`h`.
pub fn panel(app: &App, w: u16, h: u16, name: &str, focused: bool) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        let area = f.area();
        draw_panel(name, view(app), focused, area, f.buffer_mut());
    })
    .unwrap();
    t
}

/// What a drawn terminal shows, as text.
pub fn shown(t: &Terminal<TestBackend>) -> String {
    format!("{}", t.backend())
}

pub fn view(app: &App) -> View<'_> {
    View {
        run: app.run().unwrap(),
        lang: app.lang,
        predict: app.predict,
        theme: &THEME,
    }
}

/// Draw the panel called `name` (header, data_path, switches, page_map, charts, narration) into `area` of `buf`.
pub fn draw_panel(name: &str, view: View<'_>, focused: bool, area: Rect, buf: &mut Buffer) {
    match name {
        "header" => ui::header::Header { view }.render(area, buf),
        "data_path" => ui::data_path::DataPath { view, focused }.render(area, buf),
        "switches" => ui::switches::Switches { view, focused }.render(area, buf),
        "page_map" => ui::page_map::PageMapPanel { view, focused }.render(area, buf),
        "charts" => ui::charts::Charts { view, focused }.render(area, buf),
        "narration" => ui::narration::Narration { view, focused }.render(area, buf),
        _ => panic!("no panel {name}"),
    }
}

pub fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    }
}
