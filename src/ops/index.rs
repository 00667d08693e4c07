//! Indexing: NumPy-style `.i(...)`, index_select, gather, scatter, scatter_add, repeat.
