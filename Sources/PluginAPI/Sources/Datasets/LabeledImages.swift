import Foundation
import Engine
import Formats

/// Images with integer class labels, as a classifier trains on them.
public struct LabeledImages: Sendable {
    /// Pixel values, shape (N, channels, height, width), unscaled (digits: 0...16).
    public var images: [Float]
    /// One class index per image.
    public var labels: [Int]
    /// The size of each image: channels (1 for grayscale, 3 for RGB), height and width in pixels.
    public var channels: Int, height: Int, width: Int

    /// Images of `channels * height * width` values each, one per label; stops the run
    /// (`engineCheck`) when the counts disagree.
    public init(images: [Float], labels: [Int], channels: Int, height: Int, width: Int) {
        engineCheck(images.count == labels.count * channels * height * width, "images and labels disagree")
        self.images = images
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// Values per image.
    public var imageSize: Int { channels * height * width }

    /// The images `range` as one tensor of shape (count, channels, height, width).
    public func batch(_ range: Range<Int>) -> Tensor {
        let start = range.lowerBound * imageSize
        return Tensor(Array(images[start..<start + range.count * imageSize]), shape: [range.count, channels, height, width])
    }

    /// The images `range` as a new set.
    public func slice(_ range: Range<Int>) -> LabeledImages {
        LabeledImages(images: Array(images[range.lowerBound * imageSize..<range.upperBound * imageSize]),
                      labels: Array(labels[range]), channels: channels, height: height, width: width)
    }

    /// Pairs an IDX image file (N x H x W, or N x C x H x W) with an IDX label file (N), checking
    /// that they agree and that every label is below `classes`.
    public static func fromIDX(images: IDXArray, labels: IDXArray, imagesSource: String, labelsSource: String, classes: Int) throws -> LabeledImages {
        guard images.shape.count == 3 || images.shape.count == 4 else {
            throw PluginError.invalidInput("\(imagesSource): \(images.shape.count) dimensions, images need 3 (N, rows, columns) or 4 (N, channels, rows, columns)",
                                           hint: "pass an images file such as train-images-idx3-ubyte")
        }
        guard labels.shape.count == 1 else {
            throw PluginError.invalidInput("\(labelsSource): \(labels.shape.count) dimensions, labels need 1",
                                           hint: "pass a labels file such as train-labels-idx1-ubyte")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw PluginError.invalidInput("\(imagesSource) holds \(images.shape[0]) images but \(labelsSource) holds \(labels.shape[0]) labels",
                                           hint: "the two files must come from the same set")
        }
        guard images.shape.dropFirst().allSatisfy({ $0 > 0 }), images.shape[0] > 0 else {
            throw PluginError.invalidInput("\(imagesSource): empty image set (shape \(images.shape))", hint: "the file holds no images")
        }
        if let index = labels.bytes.firstIndex(where: { Int($0) >= classes }) {
            throw PluginError.invalidInput("\(labelsSource): label \(labels.bytes[index]) at position \(index) is not a class 0...\(classes - 1)",
                                           hint: "labels must be class indices below \(classes)")
        }
        let (c, h, w) = images.shape.count == 4 ? (images.shape[1], images.shape[2], images.shape[3]) : (1, images.shape[1], images.shape[2])
        return LabeledImages(images: images.bytes.map(Float.init), labels: labels.bytes.map(Int.init), channels: c, height: h, width: w)
    }
}
