//! Layers: conv.
