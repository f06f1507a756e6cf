//! placeholder
pub struct Catalog; pub struct Entry;
