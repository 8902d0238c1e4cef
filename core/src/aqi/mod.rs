//! Air quality indices.
