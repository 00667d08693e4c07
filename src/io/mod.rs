//! Reading and writing tensors: safetensors, NumPy's .npy and .npz.
