//! Layers: pool.
