//! Linear algebra: matmul (torch.matmul semantics), mm, bmm, dot, outer.
