//! Ops, one file per family. Each file holds an op's argument checks, its dispatch to the
//! backend and its derivative.

pub(crate) mod binary;
pub(crate) mod convert;
pub(crate) mod creation;
pub(crate) mod index;
pub(crate) mod join;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod shape_ops;
pub(crate) mod unary;
