import PluginAPI

/// Initialisation in linear autoencoders and attractors in non-linear ones (MIT 6.S088
/// problem set 3, problems 3 and 4).
public final class AutoencoderPlugin: Plugin {
    public let name = "Autoencoder"
    public let version = "0.1.0"
    public let summary = "Linear autoencoders from zero and random starts; memorisation and attractors in a ReLU autoencoder (MIT 6.S088 PS3)"

    public init() {}

    public var datasets: [DatasetInfo] {
        [DatasetInfo(name: "cifar10", description: "CIFAR-10 binary batches (32x32 RGB)", source: .userPath(option: "cifar-dir")),
         DatasetInfo(name: "generated images", description: "32x32 colour discs, bars and boxes over gradients, used when CIFAR-10 is absent", source: .generated)]
    }

    public var experiments: [Experiment] {
        [LinearExperiments.zero, LinearExperiments.initialised, LinearExperiments.image, AttractorExperiment.declaration]
    }
}

/// Training and test images: CIFAR-10 when a folder is given (`--cifar-dir` or
/// `$CIFAR10_DIR`), else generated ones; `source` says which.
struct ImageSource {
    var train: LabeledImages, test: LabeledImages
    var source: String

    /// `--cifar-dir`, the option of the experiments that read images.
    struct Settings: ExperimentSettings {
        /// CIFAR-10's folder as given; nil: `$CIFAR10_DIR`, the default data folder, else generated images.
        var cifarDir: String?

        static let fields: [SettingField<Settings>] = [CIFAR10.folderField(\.cifarDir, otherwise: "generated 32x32 images")]
    }

    /// `count` training and `count` test images from the folder `settings` leads to, else generated ones.
    static func load(_ context: RunContext, _ settings: Settings, count: Int) throws -> ImageSource {
        if let folder = CIFAR10.folder(option: settings.cifarDir) {
            return ImageSource(train: try CIFAR10.readTraining(folder: folder, limit: count), test: try CIFAR10.readTest(folder: folder, limit: count),
                               source: "CIFAR-10 from \(folder)")
        }
        return ImageSource(train: GeneratedImages.make(count: count, seed: context.seed), test: GeneratedImages.make(count: count, seed: context.seed &+ 1),
                           source: "generated 32x32 images (no CIFAR-10: give --cifar-dir or set CIFAR10_DIR for the real ones)")
    }

    /// Image i of `set` as a flat (3,072) tensor.
    static func vector(_ set: LabeledImages, _ i: Int) -> Tensor {
        Tensor(Array(set.images[i * set.imageSize..<(i + 1) * set.imageSize]), shape: [set.imageSize])
    }

    /// A flat 3,072-vector as a picture, clamped to [0, 1] and upscaled 4x without blur.
    static func picture(_ v: Tensor) -> Image {
        Image(tensor: v.reshape([3, 32, 32]), scaling: .range(0, 1)).upscaled(4)
    }
}
