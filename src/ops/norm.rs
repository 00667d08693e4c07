//! nn functional ops: norm.
