import Formats

/// The layers of `torch.nn` the assignments use, with PyTorch's names, argument order,
/// defaults and initialisation.

/// `nn.Linear`: y = x W^T + b. Weight (out, in) kaiming-uniform(a = sqrt 5), i.e.
/// U(-1/sqrt(in), 1/sqrt(in)); bias the same.
public final class Linear: Module {
    /// Shape (outFeatures, inFeatures); a parameter.
    public let weight: Tensor
    /// Shape (outFeatures), or nil when made with `bias: false`; a parameter.
    public let bias: Tensor?

    /// `nn.Linear(inFeatures, outFeatures, bias)`, initialised from `generator` (weight, then bias).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout SeededGenerator) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, generator: &generator, requiresGrad: true)
        self.bias = bias ? Tensor.uniform([outFeatures], low: -bound, high: bound, generator: &generator, requiresGrad: true) : nil
    }

    /// x W^T + b: x (..., inFeatures) gives (..., outFeatures).
    public override func forward(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}

/// `nn.Conv2d` with PyTorch's default initialisation (kaiming-uniform, a = sqrt 5: bound
/// 1/sqrt(fan_in) with fan_in = in KH KW).
public final class Conv2d: Module {
    /// Shape (outChannels, inChannels, kernelSize, kernelSize); a parameter.
    public let weight: Tensor
    /// Shape (outChannels), or nil when made with `bias: false`; a parameter.
    public let bias: Tensor?
    /// Stride, zero padding and dilation, the same along height and width.
    public let stride: Int, padding: Int, dilation: Int

    /// `nn.Conv2d(inChannels, outChannels, kernelSize, stride, padding, dilation, bias)` with a
    /// square kernel, initialised from `generator` (weight, then bias).
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, bias: Bool = true, generator: inout SeededGenerator) {
        let bound = 1 / Float(inChannels * kernelSize * kernelSize).squareRoot()
        weight = Tensor.uniform([outChannels, inChannels, kernelSize, kernelSize], low: -bound, high: bound, generator: &generator, requiresGrad: true)
        self.bias = bias ? Tensor.uniform([outChannels], low: -bound, high: bound, generator: &generator, requiresGrad: true) : nil
        self.stride = stride; self.padding = padding; self.dilation = dilation
    }

    /// `conv2d` with the algorithm chosen automatically: x (N, inChannels, H, W) gives
    /// (N, outChannels, OH, OW).
    public override func forward(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
    }
}

/// `nn.BatchNorm2d(numFeatures, eps: 1e-5, momentum: 0.1)`: weight 1, bias 0, running mean 0
/// and variance 1, and the count of training batches (buffers), so a saved state dict has
/// PyTorch's names, `num_batches_tracked` included (`load_state_dict` with strict=True wants it).
public final class BatchNorm2d: Module {
    /// The affine scale (initially 1) and shift (initially 0) per channel, shape (numFeatures); parameters.
    public let weight: Tensor, bias: Tensor
    /// The running mean (initially 0) and unbiased variance (initially 1) per channel, updated in
    /// training mode and used in evaluation mode; buffers.
    public let runningMean: Tensor, runningVar: Tensor
    /// Forward passes in training mode (PyTorch's `num_batches_tracked`; a scalar, counted in
    /// Float, exact to 2^24). With a momentum it changes nothing in the computation.
    public let numBatchesTracked: Tensor
    /// Added to the variance before its square root; the weight of each training batch's statistics
    /// in the running ones (running = (1 - momentum) running + momentum batch).
    public let eps: Float, momentum: Float

    /// `nn.BatchNorm2d(numFeatures, eps, momentum)` for inputs of `numFeatures` channels.
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = Tensor.ones([numFeatures], requiresGrad: true)
        bias = Tensor.zeros([numFeatures], requiresGrad: true)
        runningMean = Tensor.zeros([numFeatures])
        runningVar = Tensor.ones([numFeatures])
        numBatchesTracked = Tensor.zeros([])
        self.eps = eps; self.momentum = momentum
    }

    /// The running statistics and the batch count: saved in the state dict, never trained.
    public override var bufferNames: Set<String> { ["runningMean", "runningVar", "numBatchesTracked"] }

    /// Normalises x (N, C, H, W) per channel: in training mode with the batch's mean and biased
    /// variance (updating the running statistics and counting the batch), in evaluation mode with the
    /// running statistics; then scales and shifts.
    public override func forward(_ x: Tensor) -> Tensor {
        if training { capturedKernel("count_batch") { [count = numBatchesTracked.storage] in count.base[0] += 1 } }
        return batchNorm2d(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                    training: training, momentum: momentum, eps: eps)
    }
}

/// `nn.LayerNorm(normalizedShape, eps: 1e-5)` with elementwise affine (weight 1, bias 0).
public final class LayerNorm: Module {
    /// The elementwise affine scale (initially 1) and shift (initially 0), of shape `normalizedShape`; parameters.
    public let weight: Tensor, bias: Tensor
    /// The trailing dimensions normalised over.
    public let normalizedShape: [Int]
    /// Added to the variance before its square root.
    public let eps: Float

    /// `nn.LayerNorm(normalizedShape, eps)` with elementwise affine.
    public init(_ normalizedShape: [Int], eps: Float = 1e-5) {
        self.normalizedShape = normalizedShape
        weight = Tensor.ones(normalizedShape, requiresGrad: true)
        bias = Tensor.zeros(normalizedShape, requiresGrad: true)
        self.eps = eps
    }

    /// Normalises each input over its last `normalizedShape.count` dimensions (biased variance), then
    /// scales and shifts; stops the run when those dimensions are not `normalizedShape`.
    public override func forward(_ x: Tensor) -> Tensor {
        engineCheck(Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                     "LayerNorm(\(normalizedShape)) got input \(x.shape)")
        return layerNorm(x, normalizedCount: weight.count, weight: weight, bias: bias, eps: eps)
    }
}

/// `nn.ReLU`.
public final class ReLU: Module {
    /// max(x, 0), elementwise.
    public override func forward(_ x: Tensor) -> Tensor { x.relu() }
}
/// `nn.SiLU`.
public final class SiLU: Module {
    /// x sigmoid(x), elementwise.
    public override func forward(_ x: Tensor) -> Tensor { x.silu() }
}
/// `nn.Sigmoid`.
public final class Sigmoid: Module {
    /// 1 / (1 + e^-x), elementwise.
    public override func forward(_ x: Tensor) -> Tensor { x.sigmoid() }
}
/// `nn.Tanh`.
public final class Tanh: Module {
    /// tanh(x), elementwise.
    public override func forward(_ x: Tensor) -> Tensor { x.tanh() }
}

/// `nn.MaxPool2d(kernelSize, stride: kernelSize)`.
public final class MaxPool2d: Module {
    /// The square window's side, and the step between windows.
    public let kernelSize: Int, stride: Int
    /// `nn.MaxPool2d(kernelSize, stride)`: no padding, floor mode; `stride` defaults to `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil) { self.kernelSize = kernelSize; self.stride = stride ?? kernelSize }
    /// The maximum of each window: x (N, C, H, W) gives (N, C, OH, OW).
    public override func forward(_ x: Tensor) -> Tensor { maxPool2d(x, kernel: kernelSize, stride: stride) }
}

/// `nn.AvgPool2d(kernelSize, stride: kernelSize)`.
public final class AvgPool2d: Module {
    /// The square window's side, and the step between windows.
    public let kernelSize: Int, stride: Int
    /// `nn.AvgPool2d(kernelSize, stride)`: no padding, floor mode; `stride` defaults to `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil) { self.kernelSize = kernelSize; self.stride = stride ?? kernelSize }
    /// The mean of each window: x (N, C, H, W) gives (N, C, OH, OW).
    public override func forward(_ x: Tensor) -> Tensor { avgPool2d(x, kernel: kernelSize, stride: stride) }
}

/// `nn.AdaptiveAvgPool2d(outputSize)`.
public final class AdaptiveAvgPool2d: Module {
    /// The output's (height, width).
    public let outputSize: (Int, Int)
    /// `nn.AdaptiveAvgPool2d((height, width))`; the default (1, 1) averages each channel to one value.
    public init(_ outputSize: (Int, Int) = (1, 1)) { self.outputSize = outputSize }
    /// `nn.AdaptiveAvgPool2d(size)`: a square output of `size` x `size`.
    public convenience init(_ size: Int) { self.init((size, size)) }
    /// Averages x (N, C, H, W) over PyTorch's adaptive windows into (N, C, height, width).
    public override func forward(_ x: Tensor) -> Tensor { adaptiveAvgPool2d(x, outputSize: outputSize) }
}

/// `nn.Flatten(startDim: 1)`.
public final class Flatten: Module {
    /// The first dimension merged; it and every later dimension become one.
    public let startDim: Int
    /// `nn.Flatten(start_dim)`; the default 1 keeps the batch dimension.
    public init(startDim: Int = 1) { self.startDim = startDim }
    /// x with dimensions `startDim...` merged into one: (N, C, H, W) gives (N, C*H*W) by default.
    public override func forward(_ x: Tensor) -> Tensor { x.flatten(startDim: startDim) }
}

/// `nn.Sequential`: applies its layers in order; they are named `0`, `1`, ... as in PyTorch.
public final class Sequential: Module {
    /// The layers, in the order they are applied.
    public let layers: [Module]
    /// A chain of `layers`, named `0`, `1`, ... in order.
    public init(_ layers: [Module]) { self.layers = layers }
    /// A chain of the layers given: `Sequential(Linear(4, 8, generator: &g), ReLU(), Linear(8, 1, generator: &g))`.
    public convenience init(_ layers: Module...) { self.init(layers) }
    /// The layers, named `0`, `1`, ... as in a PyTorch state dict.
    public override func namedChildren() -> [(String, Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }
    /// Applies each layer to the previous one's output, starting from x.
    public override func forward(_ x: Tensor) -> Tensor { layers.reduce(x) { $1($0) } }
}
