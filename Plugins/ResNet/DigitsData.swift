import PluginAPI

/// The digits split as the course's `torch_digits()` makes it: the first `validation` images
/// are the validation set, the rest the training set, in file order (no shuffling).
public struct DigitsSplit {
    public var train: LabeledImages
    public var validation: LabeledImages
    /// Where the images came from, for the log.
    public var source: String

    /// A split of given sets.
    public init(train: LabeledImages, validation: LabeledImages, source: String) {
        (self.train, self.validation, self.source) = (train, validation, source)
    }

    /// Where the images come from and how many are for validation: the `--digits-dir` and
    /// `--validation` options of `digits` and `sweep`.
    public struct Source: ExperimentSettings, Sendable {
        public var folder: String? = nil
        public var validation = 180
        public init() {}
        public static let fields: [SettingField<Source>] = [
            .path("digits-dir", \.folder,
                  help: "a folder of MNIST-style IDX files (*images-idx3-ubyte, *labels-idx1-ubyte) instead of the embedded digits"),
            .int("validation", \.validation, range: 1...10_000_000, help: "the first this many images are the validation set"),
        ]
    }

    /// The images `source` names, split.
    public static func load(_ source: Source) throws -> DigitsSplit { try load(folder: source.folder, validation: source.validation) }

    /// The embedded digits, or the IDX files of `folder` when given.
    public static func load(folder: String?, validation: Int) throws -> DigitsSplit {
        var all = try folder.map { try DigitsDataset.read(folder: $0) } ?? DigitsDataset.embedded()
        let source = folder ?? "embedded digits (scikit-learn load_digits)"
        guard validation < all.count else {
            throw PluginError.invalidInput("--validation \(validation) leaves no training images: \(source) holds \(all.count)",
                                           hint: "use a validation count below \(all.count)")
        }
        guard all.height >= 2, all.width >= 2, all.channels == 1 else {
            throw PluginError.invalidInput("\(source): images of \(all.channels) x \(all.height) x \(all.width); the network needs one channel and at least 2 x 2 pixels",
                                           hint: "give grayscale MNIST-style images (idx3: N x rows x columns)")
        }
        // The validation images are copied out and removed from the front of `all`, which then
        // is the training set: the images are held once (an MNIST-sized set is 188 MB as floats).
        let validationSet = all.slice(0..<validation)
        all.images.removeFirst(validation * all.imageSize)
        all.labels.removeFirst(validation)
        return DigitsSplit(train: all, validation: validationSet, source: source)
    }
}
