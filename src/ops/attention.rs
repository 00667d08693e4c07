//! nn functional ops: attention.
