//! nn functional ops: embedding.
