//! `iotour stats`: the system's dirty-page state.
