//! Normalisation layers: `BatchNorm1d`, `BatchNorm2d`, `LayerNorm`, `GroupNorm`, as PyTorch's,
//! with PyTorch's parameter and buffer names (`weight`, `bias`, `running_mean`, `running_var`,
//! `num_batches_tracked`). Each calls its op in [`functional`](crate::nn::functional).

use crate::autograd::no_grad;
use crate::dtype::DType;
use crate::nn::{Module, Visit, Visitor, functional as F, join_name};
use crate::tensor::Tensor;

macro_rules! batch_norm_layer {
    ($(#[$doc:meta])* $name:ident, $dims:pat, $expected:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            /// Per-channel scale `[C]` (ones at first), when affine.
            pub weight: Option<Tensor>,
            /// Per-channel shift `[C]` (zeros at first), when affine.
            pub bias: Option<Tensor>,
            /// Buffer: the running mean `[C]` used in evaluation.
            pub running_mean: Tensor,
            /// Buffer: the running (unbiased) variance `[C]` used in evaluation.
            pub running_var: Tensor,
            /// Buffer: the number of training batches seen (I64, 0-d).
            pub num_batches_tracked: Tensor,
            /// The weight of the newest batch in the running statistics (PyTorch's 0.1).
            pub momentum: f64,
            /// Added to the variance (PyTorch's 1e-5).
            pub eps: f64,
            /// Training mode: batch statistics, running statistics updated.
            pub training: bool,
        }

        impl $name {
            /// A layer over `num_features` channels with PyTorch's defaults (eps 1e-5,
            /// momentum 0.1, affine, in training mode), in F32.
            pub fn new(num_features: usize) -> $name {
                $name::with_options(num_features, 1e-5, 0.1, true, DType::F32)
            }

            /// A layer with chosen `eps`, `momentum`, `affine` and float `dtype`.
            pub fn with_options(
                num_features: usize,
                eps: f64,
                momentum: f64,
                affine: bool,
                dtype: DType,
            ) -> $name {
                let c = [num_features];
                $name {
                    weight: affine.then(|| Tensor::ones(c, dtype).requires_grad_(true)),
                    bias: affine.then(|| Tensor::zeros(c, dtype).requires_grad_(true)),
                    running_mean: Tensor::zeros(c, dtype),
                    running_var: Tensor::ones(c, dtype),
                    num_batches_tracked: Tensor::zeros((), DType::I64),
                    momentum,
                    eps,
                    training: true,
                }
            }
        }

        impl Visit for $name {
            fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
                self.weight.visit(&join_name(prefix, "weight"), visitor);
                self.bias.visit(&join_name(prefix, "bias"), visitor);
                visitor.buffer(&join_name(prefix, "running_mean"), &self.running_mean);
                visitor.buffer(&join_name(prefix, "running_var"), &self.running_var);
                let tracked = join_name(prefix, "num_batches_tracked");
                visitor.buffer(&tracked, &self.num_batches_tracked);
            }
            fn set_training(&mut self, training: bool) {
                self.training = training;
            }
        }

        impl Module for $name {
            #[track_caller]
            fn forward(&self, input: &Tensor) -> Tensor {
                assert!(
                    matches!(input.dim(), $dims),
                    "{}: expected {} input, got shape {:?}",
                    stringify!($name),
                    $expected,
                    input.shape()
                );
                if self.training {
                    no_grad(|| self.num_batches_tracked.add_(&Tensor::ones((), DType::I64)));
                }
                F::batch_norm(
                    input,
                    Some(&self.running_mean),
                    Some(&self.running_var),
                    self.weight.as_ref(),
                    self.bias.as_ref(),
                    self.training,
                    self.momentum,
                    self.eps,
                )
            }
        }
    };
}

batch_norm_layer!(
    /// Batch normalisation of `[N, C]` or `[N, C, L]` inputs, as `torch.nn.BatchNorm1d`.
    ///
    /// ```
    /// use firebrand::nn::{BatchNorm1d, Module};
    /// use firebrand::tensor;
    /// let mut bn = BatchNorm1d::new(1);
    /// let y = bn.forward(&tensor!([[1.0], [3.0]]));
    /// assert!((y.to_vec::<f32>()[1] - 1.0).abs() < 1e-4);
    /// assert_eq!(bn.num_batches_tracked.item::<i64>(), 1);
    /// bn.eval();
    /// assert_eq!(bn.forward(&tensor!([[0.2]])).to_vec::<f32>().len(), 1);
    /// ```
    BatchNorm1d, 2 | 3, "a 2-D [N, C] or 3-D [N, C, L]"
);

batch_norm_layer!(
    /// Batch normalisation of `[N, C, H, W]` inputs, as `torch.nn.BatchNorm2d`.
    ///
    /// ```
    /// use firebrand::nn::{BatchNorm2d, Module};
    /// use firebrand::{DType, Tensor};
    /// let bn = BatchNorm2d::new(3);
    /// let names: Vec<String> = bn.state_dict().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    /// assert_eq!(bn.forward(&Tensor::randn([2, 3, 4, 4], DType::F32)).shape(), &[2, 3, 4, 4]);
    /// ```
    BatchNorm2d, 4, "a 4-D [N, C, H, W]"
);

/// Layer normalisation over the trailing `normalized_shape` dims, as `torch.nn.LayerNorm`
/// (elementwise affine weight ones and bias zeros, eps 1e-5).
///
/// ```
/// use firebrand::nn::{LayerNorm, Module};
/// use firebrand::tensor;
/// let ln = LayerNorm::new(&[2]);
/// let y = ln.forward(&tensor!([[1.0, 3.0]]));
/// assert!((y.to_vec::<f32>()[0] + 1.0).abs() < 1e-4);
/// ```
#[derive(Debug)]
pub struct LayerNorm {
    /// Scale of shape `normalized_shape`, when affine.
    pub weight: Option<Tensor>,
    /// Shift of shape `normalized_shape`, when affine.
    pub bias: Option<Tensor>,
    /// The trailing dims normalised over.
    pub normalized_shape: Vec<usize>,
    /// Added to the variance.
    pub eps: f64,
}

impl LayerNorm {
    /// PyTorch's defaults: eps 1e-5, affine, F32.
    pub fn new(normalized_shape: &[usize]) -> LayerNorm {
        LayerNorm::with_options(normalized_shape, 1e-5, true, DType::F32)
    }

    /// A layer with chosen `eps`, `elementwise_affine` and float `dtype`.
    ///
    /// ```
    /// let ln = firebrand::nn::LayerNorm::with_options(&[4], 1e-6, false, firebrand::DType::F64);
    /// assert!(ln.weight.is_none());
    /// ```
    pub fn with_options(
        normalized_shape: &[usize],
        eps: f64,
        elementwise_affine: bool,
        dtype: DType,
    ) -> LayerNorm {
        let shape = normalized_shape.to_vec();
        LayerNorm {
            weight: elementwise_affine
                .then(|| Tensor::ones(shape.as_slice(), dtype).requires_grad_(true)),
            bias: elementwise_affine
                .then(|| Tensor::zeros(shape.as_slice(), dtype).requires_grad_(true)),
            normalized_shape: shape,
            eps,
        }
    }
}

impl Visit for LayerNorm {
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
        self.weight.visit(&join_name(prefix, "weight"), visitor);
        self.bias.visit(&join_name(prefix, "bias"), visitor);
    }
}

impl Module for LayerNorm {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        F::layer_norm(
            input,
            &self.normalized_shape,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps,
        )
    }
}

/// Group normalisation, as `torch.nn.GroupNorm(num_groups, num_channels)` (affine weight
/// ones and bias zeros `[C]`, eps 1e-5).
///
/// ```
/// use firebrand::nn::{GroupNorm, Module};
/// use firebrand::{DType, Tensor};
/// let gn = GroupNorm::new(2, 4);
/// assert_eq!(gn.forward(&Tensor::randn([3, 4, 5], DType::F32)).shape(), &[3, 4, 5]);
/// ```
#[derive(Debug)]
pub struct GroupNorm {
    /// Per-channel scale `[C]`, when affine.
    pub weight: Option<Tensor>,
    /// Per-channel shift `[C]`, when affine.
    pub bias: Option<Tensor>,
    /// The number of channel groups.
    pub num_groups: usize,
    /// Added to the variance.
    pub eps: f64,
}

impl GroupNorm {
    /// PyTorch's defaults: eps 1e-5, affine, F32.
    pub fn new(num_groups: usize, num_channels: usize) -> GroupNorm {
        GroupNorm::with_options(num_groups, num_channels, 1e-5, true, DType::F32)
    }

    /// A layer with chosen `eps`, `affine` and float `dtype`.
    ///
    /// ```
    /// let gn = firebrand::nn::GroupNorm::with_options(1, 3, 1e-5, false, firebrand::DType::F32);
    /// assert!(gn.bias.is_none());
    /// ```
    pub fn with_options(
        num_groups: usize,
        num_channels: usize,
        eps: f64,
        affine: bool,
        dtype: DType,
    ) -> GroupNorm {
        let c = [num_channels];
        GroupNorm {
            weight: affine.then(|| Tensor::ones(c, dtype).requires_grad_(true)),
            bias: affine.then(|| Tensor::zeros(c, dtype).requires_grad_(true)),
            num_groups,
            eps,
        }
    }
}

impl Visit for GroupNorm {
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
        self.weight.visit(&join_name(prefix, "weight"), visitor);
        self.bias.visit(&join_name(prefix, "bias"), visitor);
    }
}

impl Module for GroupNorm {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        F::group_norm(
            input,
            self.num_groups,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps,
        )
    }
}
