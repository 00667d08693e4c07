//! Convolution layers: Conv1d, Conv2d, ConvTranspose2d.

use crate::dtype::DType;
use crate::nn::{Module, functional as F, init};
use crate::tensor::Tensor;

/// A weight of `shape` and a bias of `[bias_len]`, initialised as PyTorch's convolutions:
/// kaiming_uniform with `a = sqrt(5)` and a bias in U(±1/sqrt(fan_in)).
fn conv_parameters(
    shape: &[usize],
    bias_len: Option<usize>,
    dtype: DType,
) -> (Tensor, Option<Tensor>) {
    let weight = Tensor::zeros(shape, dtype);
    init::kaiming_uniform_(&weight, 5f64.sqrt());
    let (fan_in, _) = init::fans(&weight);
    let bias = bias_len.map(|n| {
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        init::uniform_(&Tensor::zeros([n], dtype), -bound, bound).requires_grad_(true)
    });
    (weight.requires_grad_(true), bias)
}

/// A 2-D convolution layer, as `torch.nn.Conv2d`: weight `[out, in / groups, kh, kw]`, bias
/// `[out]`. Build with [`Conv2d::new`] and adjust the public fields (stride, padding, ...)
/// before use.
///
/// ```
/// use firebrand::nn::{Conv2d, Module};
/// use firebrand::{DType, Tensor};
/// let conv = Conv2d::new(1, 8, 3).padding(1);
/// let y = conv.forward(&Tensor::zeros([2, 1, 8, 8], DType::F32));
/// assert_eq!(y.shape(), &[2, 8, 8, 8]);
/// ```
#[derive(crate::nn::Module)]
pub struct Conv2d {
    /// `[out_channels, in_channels / groups, kh, kw]`.
    pub weight: Tensor,
    /// `[out_channels]`, when the layer has one.
    pub bias: Option<Tensor>,
    /// Step between windows.
    #[module(skip)]
    pub stride: [usize; 2],
    /// Zeros added on each side.
    #[module(skip)]
    pub padding: [usize; 2],
    /// Spacing between kernel taps.
    #[module(skip)]
    pub dilation: [usize; 2],
    /// Channel groups (each output sees `in / groups` input channels).
    #[module(skip)]
    pub groups: usize,
}

impl Conv2d {
    /// A square `kernel_size` convolution with bias, stride 1 and no padding, in F32.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> Conv2d {
        Conv2d::with_options(
            in_channels,
            out_channels,
            [kernel_size; 2],
            1,
            true,
            DType::F32,
        )
    }

    /// Any kernel shape, groups, bias and float dtype.
    ///
    /// ```
    /// let conv = firebrand::nn::Conv2d::with_options(4, 8, [3, 1], 2, false, firebrand::DType::F64);
    /// assert_eq!(conv.weight.shape(), &[8, 2, 3, 1]);
    /// assert!(conv.bias.is_none());
    /// ```
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: [usize; 2],
        groups: usize,
        bias: bool,
        dtype: DType,
    ) -> Conv2d {
        let shape = [
            out_channels,
            in_channels / groups.max(1),
            kernel_size[0],
            kernel_size[1],
        ];
        let (weight, bias) = conv_parameters(&shape, bias.then_some(out_channels), dtype);
        Conv2d {
            weight,
            bias,
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            groups,
        }
    }

    /// The layer with `padding` zeros on every side.
    pub fn padding(mut self, padding: usize) -> Conv2d {
        self.padding = [padding; 2];
        self
    }

    /// The layer with windows `stride` apart.
    ///
    /// ```
    /// let conv = firebrand::nn::Conv2d::new(1, 1, 3).stride(2);
    /// assert_eq!(conv.stride, [2, 2]);
    /// ```
    pub fn stride(mut self, stride: usize) -> Conv2d {
        self.stride = [stride; 2];
        self
    }

    /// The layer with kernel taps `dilation` apart.
    ///
    /// ```
    /// let conv = firebrand::nn::Conv2d::new(1, 1, 3).dilation(2);
    /// assert_eq!(conv.dilation, [2, 2]);
    /// ```
    pub fn dilation(mut self, dilation: usize) -> Conv2d {
        self.dilation = [dilation; 2];
        self
    }
}

impl Module for Conv2d {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        F::conv2d(
            input,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
    }
}

/// A 1-D convolution layer, as `torch.nn.Conv1d`: weight `[out, in / groups, k]`.
///
/// ```
/// use firebrand::nn::{Conv1d, Module};
/// use firebrand::{DType, Tensor};
/// let conv = Conv1d::new(3, 6, 5);
/// assert_eq!(conv.forward(&Tensor::zeros([2, 3, 20], DType::F32)).shape(), &[2, 6, 16]);
/// ```
#[derive(crate::nn::Module)]
pub struct Conv1d {
    /// `[out_channels, in_channels / groups, k]`.
    pub weight: Tensor,
    /// `[out_channels]`, when the layer has one.
    pub bias: Option<Tensor>,
    /// Step between windows.
    #[module(skip)]
    pub stride: usize,
    /// Zeros added on each side.
    #[module(skip)]
    pub padding: usize,
    /// Spacing between kernel taps.
    #[module(skip)]
    pub dilation: usize,
    /// Channel groups.
    #[module(skip)]
    pub groups: usize,
}

impl Conv1d {
    /// A convolution with bias, stride 1 and no padding, in F32.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> Conv1d {
        let shape = [out_channels, in_channels, kernel_size];
        let (weight, bias) = conv_parameters(&shape, Some(out_channels), DType::F32);
        Conv1d {
            weight,
            bias,
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
        }
    }
}

impl Module for Conv1d {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        F::conv1d(
            input,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
    }
}

/// A 2-D transposed convolution layer, as `torch.nn.ConvTranspose2d`: weight
/// `[in, out / groups, kh, kw]`.
///
/// ```
/// use firebrand::nn::{ConvTranspose2d, Module};
/// use firebrand::{DType, Tensor};
/// let mut up = ConvTranspose2d::new(8, 4, 2);
/// up.stride = [2, 2];
/// assert_eq!(up.forward(&Tensor::zeros([1, 8, 5, 5], DType::F32)).shape(), &[1, 4, 10, 10]);
/// ```
#[derive(crate::nn::Module)]
pub struct ConvTranspose2d {
    /// `[in_channels, out_channels / groups, kh, kw]`.
    pub weight: Tensor,
    /// `[out_channels]`, when the layer has one.
    pub bias: Option<Tensor>,
    /// Step between the input's positions in the output.
    #[module(skip)]
    pub stride: [usize; 2],
    /// Rows and columns cut from each side of the output.
    #[module(skip)]
    pub padding: [usize; 2],
    /// Extra rows and columns added at the end of the output.
    #[module(skip)]
    pub output_padding: [usize; 2],
    /// Spacing between kernel taps.
    #[module(skip)]
    pub dilation: [usize; 2],
    /// Channel groups.
    #[module(skip)]
    pub groups: usize,
}

impl ConvTranspose2d {
    /// A square-kernel transposed convolution with bias, stride 1, in F32.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> ConvTranspose2d {
        let shape = [in_channels, out_channels, kernel_size, kernel_size];
        // PyTorch computes fan_in from weight dim 1 here, which is out_channels.
        let (weight, bias) = conv_parameters(&shape, Some(out_channels), DType::F32);
        ConvTranspose2d {
            weight,
            bias,
            stride: [1, 1],
            padding: [0, 0],
            output_padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

impl Module for ConvTranspose2d {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        F::conv_transpose2d(
            input,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )
    }
}
