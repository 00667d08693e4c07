//! nn functional ops: loss.
