import Formats

/// The layers of `torch.nn` the assignments use, with PyTorch's names, argument order,
/// defaults and initialisation.

/// `nn.Linear`: y = x W^T + b. Weight (out, in) kaiming-uniform(a = sqrt 5), i.e.
/// U(-1/sqrt(in), 1/sqrt(in)); bias the same.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout SeededGenerator) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, generator: &generator, requiresGrad: true)
        self.bias = bias ? Tensor.uniform([outFeatures], low: -bound, high: bound, generator: &generator, requiresGrad: true) : nil
    }

    public override func forward(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}

/// `nn.Conv2d` with PyTorch's default initialisation (kaiming-uniform, a = sqrt 5: bound
/// 1/sqrt(fan_in) with fan_in = in KH KW).
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, bias: Bool = true, generator: inout SeededGenerator) {
        let bound = 1 / Float(inChannels * kernelSize * kernelSize).squareRoot()
        weight = Tensor.uniform([outChannels, inChannels, kernelSize, kernelSize], low: -bound, high: bound, generator: &generator, requiresGrad: true)
        self.bias = bias ? Tensor.uniform([outChannels], low: -bound, high: bound, generator: &generator, requiresGrad: true) : nil
        self.stride = stride; self.padding = padding; self.dilation = dilation
    }

    public override func forward(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
    }
}

/// `nn.BatchNorm2d(numFeatures, eps: 1e-5, momentum: 0.1)`: weight 1, bias 0, running mean 0
/// and variance 1, and the count of training batches (buffers), so a saved state dict has
/// PyTorch's names, `num_batches_tracked` included (`load_state_dict` with strict=True wants it).
public final class BatchNorm2d: Module {
    public let weight: Tensor, bias: Tensor
    public let runningMean: Tensor, runningVar: Tensor
    /// Forward passes in training mode (PyTorch's `num_batches_tracked`; a scalar, counted in
    /// Float, exact to 2^24). With a momentum it changes nothing in the computation.
    public let numBatchesTracked: Tensor
    public let eps: Float, momentum: Float

    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = Tensor.ones([numFeatures], requiresGrad: true)
        bias = Tensor.zeros([numFeatures], requiresGrad: true)
        runningMean = Tensor.zeros([numFeatures])
        runningVar = Tensor.ones([numFeatures])
        numBatchesTracked = Tensor.zeros([])
        self.eps = eps; self.momentum = momentum
    }

    public override var bufferNames: Set<String> { ["runningMean", "runningVar", "numBatchesTracked"] }

    public override func forward(_ x: Tensor) -> Tensor {
        if training { numBatchesTracked[flat: 0] += 1 }
        return batchNorm2d(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                    training: training, momentum: momentum, eps: eps)
    }
}

/// `nn.LayerNorm(normalizedShape, eps: 1e-5)` with elementwise affine (weight 1, bias 0).
public final class LayerNorm: Module {
    public let weight: Tensor, bias: Tensor
    public let normalizedShape: [Int]
    public let eps: Float

    public init(_ normalizedShape: [Int], eps: Float = 1e-5) {
        self.normalizedShape = normalizedShape
        weight = Tensor.ones(normalizedShape, requiresGrad: true)
        bias = Tensor.zeros(normalizedShape, requiresGrad: true)
        self.eps = eps
    }

    public override func forward(_ x: Tensor) -> Tensor {
        engineCheck(Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                     "LayerNorm(\(normalizedShape)) got input \(x.shape)")
        return layerNorm(x, normalizedCount: weight.count, weight: weight, bias: bias, eps: eps)
    }
}

/// `nn.ReLU`.
public final class ReLU: Module { public override func forward(_ x: Tensor) -> Tensor { x.relu() } }
/// `nn.SiLU`.
public final class SiLU: Module { public override func forward(_ x: Tensor) -> Tensor { x.silu() } }
/// `nn.Sigmoid`.
public final class Sigmoid: Module { public override func forward(_ x: Tensor) -> Tensor { x.sigmoid() } }
/// `nn.Tanh`.
public final class Tanh: Module { public override func forward(_ x: Tensor) -> Tensor { x.tanh() } }

/// `nn.MaxPool2d(kernelSize, stride: kernelSize)`.
public final class MaxPool2d: Module {
    public let kernelSize: Int, stride: Int
    public init(_ kernelSize: Int, stride: Int? = nil) { self.kernelSize = kernelSize; self.stride = stride ?? kernelSize }
    public override func forward(_ x: Tensor) -> Tensor { maxPool2d(x, kernel: kernelSize, stride: stride) }
}

/// `nn.AvgPool2d(kernelSize, stride: kernelSize)`.
public final class AvgPool2d: Module {
    public let kernelSize: Int, stride: Int
    public init(_ kernelSize: Int, stride: Int? = nil) { self.kernelSize = kernelSize; self.stride = stride ?? kernelSize }
    public override func forward(_ x: Tensor) -> Tensor { avgPool2d(x, kernel: kernelSize, stride: stride) }
}

/// `nn.AdaptiveAvgPool2d(outputSize)`.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)
    public init(_ outputSize: (Int, Int) = (1, 1)) { self.outputSize = outputSize }
    public convenience init(_ size: Int) { self.init((size, size)) }
    public override func forward(_ x: Tensor) -> Tensor { adaptiveAvgPool2d(x, outputSize: outputSize) }
}

/// `nn.Flatten(startDim: 1)`.
public final class Flatten: Module {
    public let startDim: Int
    public init(startDim: Int = 1) { self.startDim = startDim }
    public override func forward(_ x: Tensor) -> Tensor { x.flatten(startDim: startDim) }
}

/// `nn.Sequential`: applies its layers in order; they are named `0`, `1`, ... as in PyTorch.
public final class Sequential: Module {
    public let layers: [Module]
    public init(_ layers: [Module]) { self.layers = layers }
    public convenience init(_ layers: Module...) { self.init(layers) }
    public override func namedChildren() -> [(String, Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }
    public override func forward(_ x: Tensor) -> Tensor { layers.reduce(x) { $1($0) } }
}
