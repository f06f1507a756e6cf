//! The scenario picker: every scenario with a filter typed after `/`.

use iotour_core::scenario::{Lang, Plan};

#[derive(Debug, Clone, PartialEq)]
pub struct PickerState {
    pub plans: Vec<Plan>,
    pub filter: String,
    /// Keys go into the filter instead of the keymap.
    pub filtering: bool,
    /// Index into [`PickerState::visible`].
    pub selected: usize,
    /// The path being typed for `inspect`; keys go into it while present.
    pub inspect_path: Option<String>,
    /// Why the last tool opened from here failed, until the next key.
    pub notice: Option<String>,
}

impl PickerState {
    pub fn new(plans: Vec<Plan>) -> PickerState {
        PickerState {
            plans,
            filter: String::new(),
            filtering: false,
            selected: 0,
            inspect_path: None,
            notice: None,
        }
    }

    /// Indices of the plans that match the filter (id, titles, tags, summary;
    /// case-insensitive, in either language).
    pub fn visible(&self) -> Vec<usize> {
        let needle = self.filter.to_lowercase();
        self.plans
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                needle.is_empty()
                    || p.id().to_lowercase().contains(&needle)
                    || p.meta()
                        .tags
                        .iter()
                        .any(|t| t.to_lowercase().contains(&needle))
                    || [Lang::En, Lang::Zh].iter().any(|&l| {
                        p.meta().title.get(l).to_lowercase().contains(&needle)
                            || p.meta().summary.get(l).to_lowercase().contains(&needle)
                    })
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn selected_plan(&self) -> Option<&Plan> {
        let v = self.visible();
        v.get(self.selected).map(|&i| &self.plans[i])
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.visible().len();
        if n == 0 {
            self.selected = 0;
            return;
        }
        self.selected = (self.selected as isize + delta).rem_euclid(n as isize) as usize;
    }

    pub fn type_char(&mut self, c: char) {
        self.filter.push(c);
        self.selected = 0;
    }

    pub fn clear_filter(&mut self) {
        self.filter.clear();
        self.selected = 0;
    }

    pub fn backspace(&mut self) {
        self.filter.pop();
        self.selected = 0;
    }
}
