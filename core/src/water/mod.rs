//! Surface-water quality.
