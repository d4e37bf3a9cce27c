/// The worker pool and the kernel-set protocol live in KernelSupport, below the kernel sets;
/// importing Kernels (or PluginAPI) brings them along.
@_exported import KernelSupport
