//! Optimizers, learning-rate schedulers and gradient clipping, as `torch.optim`.
