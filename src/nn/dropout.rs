//! Layers: dropout.
