//! nn functional ops: conv.
