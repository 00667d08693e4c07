//! Layers: embedding.
