import Kernels
import KernelSupport

// The engine's public surface includes three things that live in the kernel modules, because
// they are built without Swift's checks for speed: the worker pool every parallel loop runs on,
// and float64 matrices with their factorizations (Cholesky, solves, eigen-decomposition) that
// the kernel-regime assignments use like `numpy.linalg`. The rest of the kernels (GEMM, vector
// math, kernel-set selection) stays behind the engine's tensor operations.
@_exported import class KernelSupport.WorkerPool
@_exported import struct Kernels.DMatrix
@_exported import enum Kernels.DoubleLinearAlgebra
