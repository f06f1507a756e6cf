//! `iotour inspect` for people: the table and page map as text ([`table`]).
//! The measuring is [`iotour_core::inspect`]'s; the live screen is
//! [`crate::app::inspect`] drawn by [`crate::ui::inspect`].

pub mod table;
