//! Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.

use crate::nn::{Module, Visit, Visitor, functional as F};
use crate::tensor::Tensor;

/// 2-D max pooling, as `torch.nn.MaxPool2d` (stride defaults to the kernel size).
///
/// ```
/// use firebrand::nn::{MaxPool2d, Module};
/// use firebrand::{DType, Tensor};
/// let y = MaxPool2d::new(2).forward(&Tensor::zeros([1, 3, 8, 8], DType::F32));
/// assert_eq!(y.shape(), &[1, 3, 4, 4]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MaxPool2d {
    /// Window height and width.
    pub kernel_size: [usize; 2],
    /// Step between windows.
    pub stride: [usize; 2],
    /// `-inf` rows and columns added on each side.
    pub padding: [usize; 2],
    /// Spacing between window taps.
    pub dilation: [usize; 2],
    /// Round the output size up rather than down.
    pub ceil_mode: bool,
}

impl MaxPool2d {
    /// Square windows of `kernel_size`, stride equal to it.
    pub fn new(kernel_size: usize) -> MaxPool2d {
        MaxPool2d {
            kernel_size: [kernel_size; 2],
            stride: [kernel_size; 2],
            padding: [0; 2],
            dilation: [1; 2],
            ceil_mode: false,
        }
    }
}

/// 2-D average pooling, as `torch.nn.AvgPool2d` (stride defaults to the kernel size, padding
/// counts toward the divisor).
///
/// ```
/// use firebrand::nn::{AvgPool2d, Module};
/// use firebrand::{DType, Tensor};
/// let y = AvgPool2d::new(2).forward(&Tensor::ones([1, 1, 4, 4], DType::F32));
/// assert_eq!(y.to_vec::<f32>(), vec![1.0; 4]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AvgPool2d {
    /// Window height and width.
    pub kernel_size: [usize; 2],
    /// Step between windows.
    pub stride: [usize; 2],
    /// Zero rows and columns added on each side.
    pub padding: [usize; 2],
    /// Round the output size up rather than down.
    pub ceil_mode: bool,
    /// Whether padding cells count toward the divisor.
    pub count_include_pad: bool,
}

impl AvgPool2d {
    /// Square windows of `kernel_size`, stride equal to it.
    pub fn new(kernel_size: usize) -> AvgPool2d {
        AvgPool2d {
            kernel_size: [kernel_size; 2],
            stride: [kernel_size; 2],
            padding: [0; 2],
            ceil_mode: false,
            count_include_pad: true,
        }
    }
}

/// Average pooling to a fixed output size, as `torch.nn.AdaptiveAvgPool2d`.
///
/// ```
/// use firebrand::nn::{AdaptiveAvgPool2d, Module};
/// use firebrand::{DType, Tensor};
/// let y = AdaptiveAvgPool2d { output_size: [1, 1] }.forward(&Tensor::ones([2, 5, 7, 7], DType::F32));
/// assert_eq!(y.shape(), &[2, 5, 1, 1]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveAvgPool2d {
    /// Output height and width.
    pub output_size: [usize; 2],
}

macro_rules! stateless {
    ($($layer:ident => |$s:ident, $x:ident| $body:expr;)*) => {$(
        impl Visit for $layer {
            fn visit(&self, _: &str, _: &mut dyn Visitor) {}
        }
        impl Module for $layer {
            #[track_caller]
            fn forward(&self, $x: &Tensor) -> Tensor {
                let $s = self;
                $body
            }
        }
    )*};
}

stateless! {
    MaxPool2d => |s, x| F::max_pool2d(x, s.kernel_size, s.stride, s.padding, s.dilation, s.ceil_mode);
    AvgPool2d => |s, x| F::avg_pool2d(x, s.kernel_size, s.stride, s.padding, s.ceil_mode, s.count_include_pad, None);
    AdaptiveAvgPool2d => |s, x| F::adaptive_avg_pool2d(x, s.output_size);
}
