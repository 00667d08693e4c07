//! Ops, one file per family. Each file holds an op's argument checks, its dispatch to the
//! backend and its derivative.

pub(crate) mod activation;
pub(crate) mod attention;
pub(crate) mod binary;
pub(crate) mod conv;
pub(crate) mod convert;
pub(crate) mod creation;
pub(crate) mod dropout;
pub(crate) mod embedding;
pub(crate) mod index;
pub(crate) mod join;
pub(crate) mod loss;
pub(crate) mod matmul;
pub(crate) mod norm;
pub(crate) mod pad;
pub(crate) mod pool;
pub(crate) mod reduce;
pub(crate) mod shape_ops;
pub(crate) mod unary;
