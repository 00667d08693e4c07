//! Attention layers: MultiheadAttention.
