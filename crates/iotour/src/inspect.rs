//! `iotour inspect` for people: the table and page map as text ([`table`]),
//! and the live view on a terminal ([`live`]). The measuring is
//! [`iotour_core::inspect`]'s.

pub mod live;
pub mod table;
pub mod watch;
