import PluginAPI

/// The two ResNet18s of CS189 HW7 problem 4, for 32 x 32 x 3 images.
public enum ResNet18 {
    /// Which network: the course's pre-activation variant or the usual one.
    public enum Architecture: String, Sendable, CaseIterable {
        /// Pre-activation blocks, channels 64 | 64, 128, 256, 256, head [avg, max] -> Linear(512).
        case course
        /// Post-activation basic blocks, channels 64 | 64, 128, 256, 512, global average -> Linear(512).
        case standard
    }

    /// A freshly initialised network (PyTorch's default initialisation) of `architecture`.
    public static func make(_ architecture: Architecture, classes: Int = 10, generator: inout SeededGenerator) -> Module {
        switch architecture {
        case .course: return PreActResNet18(classes: classes, generator: &generator)
        case .standard: return StandardResNet18(classes: classes, generator: &generator)
        }
    }
}

/// The course's ResNet18: `prep` = conv 3x3 3 -> 64, BatchNorm, ReLU; four stages of two
/// pre-activation blocks (64, 128, 256, 256 channels; strides 1, 2, 2, 2); the head
/// concatenates global average and global max pooling along the last axis (as the course's
/// `torch.cat([avg, max], dim=-1)`, so features alternate avg, max per channel) into 512
/// features for `classifier` = Linear(512, classes). Names match the course's state dict.
public final class PreActResNet18: Module {
    /// BN -> ReLU -> conv3x3(stride) -> BN -> ReLU -> conv3x3, plus the input, or a 1x1 strided
    /// conv of the first activation when the shape changes.
    public final class Block: Module {
        public let bn1: BatchNorm2d, conv1: Conv2d, bn2: BatchNorm2d, conv2: Conv2d
        public let shortcut: Sequential?

        init(_ inChannels: Int, _ outChannels: Int, stride: Int, generator: inout SeededGenerator) {
            bn1 = BatchNorm2d(inChannels)
            conv1 = Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, generator: &generator)
            bn2 = BatchNorm2d(outChannels)
            conv2 = Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 3, padding: 1, bias: false, generator: &generator)
            shortcut = stride != 1 || inChannels != outChannels
                ? Sequential(Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride, bias: false, generator: &generator))
                : nil
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let out = bn1(x).relu()
            let skip = shortcut.map { $0(out) } ?? x
            return conv2(bn2(conv1(out)).relu()) + skip
        }
    }

    public let prep: Sequential, layers: Sequential, pool = ConcatPool2d(), classifier: Linear

    public init(classes: Int = 10, generator: inout SeededGenerator) {
        prep = Sequential(Conv2d(inChannels: 3, outChannels: 64, kernelSize: 3, padding: 1, bias: false, generator: &generator),
                          BatchNorm2d(64), ReLU())
        var stages: [Module] = []
        var channels = 64
        for (width, stride) in [(64, 1), (128, 2), (256, 2), (256, 2)] {
            stages.append(Sequential(Block(channels, width, stride: stride, generator: &generator),
                                     Block(width, width, stride: 1, generator: &generator)))
            channels = width
        }
        layers = Sequential(stages)
        classifier = Linear(512, classes, generator: &generator)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        classifier(pool(layers(prep(x))))
    }
}

/// The course ResNet18's head (no parameters): the global average and the global maximum of
/// each channel, concatenated as the course's `torch.cat([avg, max], dim=-1)` on [N, C, 1, 1]
/// tensors does, so the features alternate avg, max per channel. [N, C, H, W] -> [N, 2C].
public final class ConcatPool2d: Module {
    public override func forward(_ x: Tensor) -> Tensor {
        let (h, w) = (x.shape[2], x.shape[3])
        let average = adaptiveAvgPool2d(x), maximum = maxPool2d(x, kernel: Swift.max(h, w))
        return Tensor.concat([average, maximum], axis: 3).flatten()
    }
}

/// The usual ResNet18 for CIFAR: conv 3x3 3 -> 64, BatchNorm, ReLU; four stages of two basic
/// blocks (64, 128, 256, 512; strides 1, 2, 2, 2); global average pooling; Linear(512, classes).
public final class StandardResNet18: Module {
    /// conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN, plus the input (or 1x1 conv + BN of it
    /// when the shape changes), then ReLU.
    public final class Block: Module {
        public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
        public let shortcut: Sequential?

        init(_ inChannels: Int, _ outChannels: Int, stride: Int, generator: inout SeededGenerator) {
            conv1 = Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, generator: &generator)
            bn1 = BatchNorm2d(outChannels)
            conv2 = Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 3, padding: 1, bias: false, generator: &generator)
            bn2 = BatchNorm2d(outChannels)
            shortcut = stride != 1 || inChannels != outChannels
                ? Sequential(Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride, bias: false, generator: &generator),
                             BatchNorm2d(outChannels))
                : nil
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let out = bn2(conv2(bn1(conv1(x)).relu()))
            return (out + (shortcut.map { $0(x) } ?? x)).relu()
        }
    }

    public let conv1: Conv2d, bn1: BatchNorm2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential, layer4: Sequential
    public let pool = AdaptiveAvgPool2d(), linear: Linear

    public init(classes: Int = 10, generator: inout SeededGenerator) {
        conv1 = Conv2d(inChannels: 3, outChannels: 64, kernelSize: 3, padding: 1, bias: false, generator: &generator)
        bn1 = BatchNorm2d(64)
        func stage(_ inChannels: Int, _ width: Int, _ stride: Int, _ g: inout SeededGenerator) -> Sequential {
            Sequential(Block(inChannels, width, stride: stride, generator: &g), Block(width, width, stride: 1, generator: &g))
        }
        layer1 = stage(64, 64, 1, &generator)
        layer2 = stage(64, 128, 2, &generator)
        layer3 = stage(128, 256, 2, &generator)
        layer4 = stage(256, 512, 2, &generator)
        linear = Linear(512, classes, generator: &generator)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let out = layer4(layer3(layer2(layer1(bn1(conv1(x)).relu()))))
        return linear(pool(out).flatten())
    }
}
