//! Recording from the TUI: [`RecordingLauncher`] puts a recorder between each
//! engine the app starts and the app's channel. The format itself is
//! [`iotour_core::record`]'s.

mod launcher;

pub use launcher::RecordingLauncher;
