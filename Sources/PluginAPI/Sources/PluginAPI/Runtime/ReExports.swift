/// The kernels (GEMM, vector math, the worker pool) are a module of their own, built without
/// Swift's runtime checks; importing PluginAPI brings them along, as before the split.
@_exported import Kernels
