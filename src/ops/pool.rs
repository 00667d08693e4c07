//! nn functional ops: pool.
