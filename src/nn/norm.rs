//! Layers: norm.
