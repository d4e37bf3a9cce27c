import Foundation
import PluginAPI

/// CIFAR-10 for the ResNet plugin's experiments: the training batches and the test batch
/// (the validation set), each optionally cut to its first images.
struct CIFARSplit {
    var train: ByteImages, validation: ByteImages
    var classNames: [String]
    var folder: String

    static let options: [OptionSpec] = [
        CIFAR10.folderOption(),
        .int("subset-train", default: 50_000, range: 1...50_000, help: "use the first this many training images"),
        .int("subset-val", default: 10_000, range: 1...10_000, help: "use the first this many validation (test-batch) images"),
    ]

    /// Reads the data the options point at, or says it is absent and how to get it.
    static func load(_ o: OptionValues, needTraining: Bool = true, needValidation: Bool = true) throws -> CIFARSplit {
        let folder = try CIFAR10.requireFolder(option: o.optionalString("cifar-dir"))
        let train = needTraining ? try CIFAR10.readTrainingBytes(folder: folder, limit: try o.int("subset-train")) : ByteImages(pixels: [], labels: [])
        let validation = needValidation ? try CIFAR10.readTestBytes(folder: folder, limit: try o.int("subset-val")) : ByteImages(pixels: [], labels: [])
        return CIFARSplit(train: train, validation: validation, classNames: CIFAR10.classNames(folder: folder), folder: folder)
    }

    var description: String { "\(train.count) training and \(validation.count) validation images from \(folder)" }
}
