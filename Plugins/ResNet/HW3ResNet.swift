import PluginAPI

/// The ResNet of CSCI-GA.2565 HW3 problem 2, as the course defines it in PyTorch.
///
/// `Block(C)`: f(x) = norm2(conv2(act(norm1(conv1(x))))) with 3x3 convs (stride 1, padding
/// 1, no bias); output act(x + f(x)). `ResNet(C)`: conv1 1 -> C (3x3, stride 2, padding 1, no
/// bias), norm1, act, MaxPool2d(2), block, AdaptiveAvgPool2d(1), fc Linear(C, classes).
/// Parameter names match the course's state dict (`conv1.weight`, `block.norm2.bias`, ...).
public final class HW3ResNet: Module {
    /// The activation: ReLU or SiLU.
    public enum Activation: String, CaseIterable, Sendable { case relu, silu }
    /// The normalisation: BatchNorm2d, or LayerNorm over [C, H, W] of its input.
    public enum Norm: String, CaseIterable, Sendable { case batch, layer }

    /// The residual block.
    public final class Block: Module {
        public let conv1: Conv2d, norm1: Module, conv2: Conv2d, norm2: Module
        let activation: Activation

        init(channels c: Int, height: Int, width: Int, activation: Activation, norm: Norm, generator: inout SeededGenerator) {
            conv1 = Conv2d(inChannels: c, outChannels: c, kernelSize: 3, padding: 1, bias: false, generator: &generator)
            norm1 = HW3ResNet.makeNorm(norm, c, height, width)
            conv2 = Conv2d(inChannels: c, outChannels: c, kernelSize: 3, padding: 1, bias: false, generator: &generator)
            norm2 = HW3ResNet.makeNorm(norm, c, height, width)
            self.activation = activation
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let f = norm2(conv2(HW3ResNet.apply(activation, norm1(conv1(x)))))
            return HW3ResNet.apply(activation, x + f)
        }
    }

    public let conv1: Conv2d, norm1: Module, block: Block, fc: Linear
    public let activation: Activation
    public let pool = MaxPool2d(2)
    public let head = AdaptiveAvgPool2d(1)

    /// A ResNet with `channels` channels for `inputSize` images (8 x 8 digits by default),
    /// initialised as PyTorch does, drawing in the order PyTorch constructs the layers.
    public init(channels: Int, activation: Activation, norm: Norm, inputSize: (Int, Int) = (8, 8), classes: Int = 10,
                generator: inout SeededGenerator) {
        let (h1, w1) = ((inputSize.0 + 1) / 2, (inputSize.1 + 1) / 2)   // after the stride-2 stem
        conv1 = Conv2d(inChannels: 1, outChannels: channels, kernelSize: 3, stride: 2, padding: 1, bias: false, generator: &generator)
        norm1 = HW3ResNet.makeNorm(norm, channels, h1, w1)
        block = Block(channels: channels, height: h1 / 2, width: w1 / 2, activation: activation, norm: norm, generator: &generator)
        fc = Linear(channels, classes, generator: &generator)
        self.activation = activation
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let stem = pool(HW3ResNet.apply(activation, norm1(conv1(x))))
        return fc(head(block(stem)).flatten())
    }

    static func makeNorm(_ norm: Norm, _ c: Int, _ h: Int, _ w: Int) -> Module {
        norm == .batch ? BatchNorm2d(c) : LayerNorm([c, h, w])
    }

    static func apply(_ activation: Activation, _ x: Tensor) -> Tensor {
        activation == .relu ? x.relu() : x.silu()
    }
}
