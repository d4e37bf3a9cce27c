import Foundation
import PluginAPI

/// CIFAR-10 for the ResNet plugin's experiments: the training batches and the test batch
/// (the validation set), each optionally cut to its first images.
struct CIFARSplit {
    var train: ByteImages, validation: ByteImages
    var classNames: [String]
    var folder: String

    /// Where CIFAR-10 is and how much of it to use: options every CIFAR experiment shares.
    struct Source: ExperimentSettings {
        var folder: String? = nil
        var subsetTrain = 50_000, subsetValidation = 10_000
        static let fields: [SettingField<Source>] = [
            CIFAR10.folderField(\.folder),
            .int("subset-train", \.subsetTrain, range: 1...50_000, help: "use the first this many training images"),
            .int("subset-val", \.subsetValidation, range: 1...10_000, help: "use the first this many validation (test-batch) images"),
        ]
    }

    /// Reads the data `source` points at, or says it is absent and how to get it.
    static func load(_ source: Source, needTraining: Bool = true, needValidation: Bool = true) throws -> CIFARSplit {
        let folder = try CIFAR10.requireFolder(option: source.folder)
        let train = needTraining ? try CIFAR10.readTrainingBytes(folder: folder, limit: source.subsetTrain) : ByteImages(pixels: [], labels: [])
        let validation = needValidation ? try CIFAR10.readTestBytes(folder: folder, limit: source.subsetValidation) : ByteImages(pixels: [], labels: [])
        return CIFARSplit(train: train, validation: validation, classNames: CIFAR10.classNames(folder: folder), folder: folder)
    }

    var description: String { "\(train.count) training and \(validation.count) validation images from \(folder)" }
}
