import Foundation
import Engine
import Formats

/// CIFAR-10's binary version: `data_batch_1.bin` ... `data_batch_5.bin` and `test_batch.bin`,
/// records of one label byte and 3,072 pixel bytes (the R, G and B planes of 32 x 32, row by
/// row), and `batches.meta.txt` with the class names.
public enum CIFAR10 {
    /// Bytes per record (one label byte and 3,072 pixel bytes), and the images' side in pixels.
    public static let recordSize = 3073, side = 32
    /// The five training batch files and the test batch file, 10,000 images each.
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }, testFile = "test_batch.bin"
    /// The class names in label order, as the official `batches.meta.txt` lists them (what
    /// `classNames(folder:)` gives when that file is missing or unusable).
    public static let defaultClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// The folder the official archive unpacks into.
    public static let folderName = "cifar-10-batches-bin"
    /// Where the official archive is published.
    public static let archiveURL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    /// The archive's published MD5, which `host fetch cifar10` checks.
    public static let archiveMD5 = "c32a1d4ab5d03f1284b67883e8d87530"

    /// The default data folder: `$HOST_DATA_DIR`, else `$XDG_DATA_HOME/host`, else
    /// `~/.local/share/host`. `host fetch cifar10` unpacks into `<it>/cifar-10-batches-bin`.
    public static var defaultDataRoot: String {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["HOST_DATA_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return (xdg as NSString).appendingPathComponent("host") }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".local/share/host")
    }

    /// The folder to read: `--cifar-dir`, else `$CIFAR10_DIR`, else the default data folder's
    /// `cifar-10-batches-bin` when it exists; nil when none applies.
    public static func folder(option: String?) -> String? {
        if let option { return option }
        if let dir = ProcessInfo.processInfo.environment["CIFAR10_DIR"], !dir.isEmpty { return dir }
        let fallback = (defaultDataRoot as NSString).appendingPathComponent(folderName)
        return FileManager.default.fileExists(atPath: fallback) ? fallback : nil
    }

    /// How to get the data, for errors and listings.
    public static let howToGet = "run `host fetch cifar10` (a 163 MB download into the default data folder), or give a folder of the binary version with --cifar-dir DIR or CIFAR10_DIR"

    /// The folder to read, or an error saying the data is absent and how to get it.
    public static func requireFolder(option: String?) throws -> String {
        guard let folder = folder(option: option) else {
            throw PluginError.invalidInput("CIFAR-10 is not here: no --cifar-dir, no CIFAR10_DIR, and no \(folderName) in \(defaultDataRoot)",
                                           hint: howToGet)
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw PluginError.invalidInput("CIFAR-10 folder \(folder) does not exist", hint: howToGet)
        }
        return folder
    }

    /// Reads one batch file: images (N, 3, 32, 32) scaled to [0, 1] and labels. Errors name the file.
    public static func readBatch(_ path: String, limit: Int? = nil) throws -> LabeledImages {
        try readBatchBytes(path, limit: limit).scaled()
    }

    /// Reads one batch file keeping the pixel bytes (a quarter of the memory of floats); only
    /// the first `limit` records are read from the file.
    public static func readBatchBytes(_ path: String, limit: Int? = nil) throws -> ByteImages {
        let records = try CIFARBatchFile.read(path, limit: limit)
        return ByteImages(pixels: records.pixels, labels: records.labels)
    }

    /// The training set (the five batches, up to `limit` images) from `folder`.
    public static func readTraining(folder: String, limit: Int? = nil) throws -> LabeledImages {
        try readTrainingBytes(folder: folder, limit: limit).scaled()
    }

    /// The training set as bytes.
    public static func readTrainingBytes(folder: String, limit: Int? = nil) throws -> ByteImages {
        var all = ByteImages(pixels: [], labels: [])
        var remaining = limit ?? Int.max
        for name in trainFiles where remaining > 0 {
            let part = try readBatchBytes((folder as NSString).appendingPathComponent(name), limit: remaining)
            remaining -= part.count
            all.pixels += part.pixels
            all.labels += part.labels
        }
        return all
    }

    /// The test set from `folder`.
    public static func readTest(folder: String, limit: Int? = nil) throws -> LabeledImages {
        try readTestBytes(folder: folder, limit: limit).scaled()
    }

    /// The test set as bytes.
    public static func readTestBytes(folder: String, limit: Int? = nil) throws -> ByteImages {
        try readBatchBytes((folder as NSString).appendingPathComponent(testFile), limit: limit)
    }

    /// The class names of `batches.meta.txt`, or the standard ten (also when the file is
    /// larger than 64 KB: the official one is 61 bytes).
    public static func classNames(folder: String) -> [String] {
        let path = (folder as NSString).appendingPathComponent("batches.meta.txt")
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? Int.max
        guard size <= 1 << 16, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return defaultClassNames }
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return names.count == 10 ? names : defaultClassNames
    }

    /// Writes a batch file in the binary format (for tests and generated stand-ins).
    public static func writeBatch(_ set: LabeledImages, to path: String) throws {
        try Data(encode(set)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The bytes of a batch file holding `set` (pixels rounded to 0...255).
    public static func encode(_ set: LabeledImages) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(set.count * recordSize)
        for i in 0..<set.count {
            bytes.append(UInt8(set.labels[i]))
            for p in 0..<3072 { bytes.append(UInt8((min(max(set.images[i * 3072 + p], 0), 1) * 255).rounded())) }
        }
        return bytes
    }
}

/// CIFAR-10 images as their bytes: `pixels` holds 3,072 bytes per image (R, G, B planes of
/// 32 x 32), `labels` one class per image.
public struct ByteImages: Sendable {
    /// 3,072 bytes per image: the R, G and B planes of 32 x 32, row by row.
    public var pixels: [UInt8]
    /// One class index (0...9) per image.
    public var labels: [Int]

    /// Images from their pixel bytes and labels (their counts are not checked against each other).
    public init(pixels: [UInt8], labels: [Int]) {
        self.pixels = pixels
        self.labels = labels
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// The images as floats in [0, 1].
    public func scaled() -> LabeledImages {
        LabeledImages(images: pixels.map { Float($0) / 255 }, labels: labels, channels: 3, height: CIFAR10.side, width: CIFAR10.side)
    }

    /// Images `indices` as a (count, 3072) matrix of floats in [0, 1].
    public func rows<C: Collection>(_ indices: C) -> Tensor where C.Element == Int {
        let out = Tensor(zeros: [indices.count, 3072], zeroed: false)
        pixels.withUnsafeBufferPointer { p in
            for (r, i) in indices.enumerated() {
                let dst = out.data + r * 3072, src = p.baseAddress.unsafelyUnwrapped + i * 3072
                for q in 0..<3072 { dst[q] = Float(src[q]) * (1 / 255) }
            }
        }
        return out
    }

    /// The first `count` images (all when nil or larger).
    public func prefix(_ count: Int?) -> ByteImages {
        guard let count, count < self.count else { return self }
        return ByteImages(pixels: Array(pixels.prefix(count * 3072)), labels: Array(labels.prefix(count)))
    }
}

/// Small 32 x 32 colour images made from a seed: discs, bars and rectangles over colour
/// gradients. The stand-in for CIFAR-10 where it is absent.
public enum GeneratedImages {
    /// `count` images (3, 32, 32) in [0, 1]; the label is the kind of shape (0 disc, 1 bar, 2 box).
    public static func make(count: Int, seed: UInt64) -> LabeledImages {
        var g = SeededGenerator(seed: seed, stream: 77)
        var images = [Float](), labels = [Int]()
        images.reserveCapacity(count * 3072)
        for _ in 0..<count {
            let background = (0..<3).map { _ in g.nextFloat() }, slope = (0..<3).map { _ in g.nextFloat() - 0.5 }
            let colour = (0..<3).map { _ in g.nextFloat() }
            let kind = Int(g.next() % 3)
            let (cx, cy, r) = (4 + g.nextFloat() * 24, 4 + g.nextFloat() * 24, 4 + g.nextFloat() * 8)
            var image = [Float](repeating: 0, count: 3072)
            for y in 0..<32 {
                for x in 0..<32 {
                    let (fx, fy) = (Float(x), Float(y))
                    let inside: Bool
                    switch kind {
                    case 0: inside = (fx - cx) * (fx - cx) + (fy - cy) * (fy - cy) <= r * r
                    case 1: inside = abs(fy - cy) <= r / 3
                    default: inside = abs(fx - cx) <= r && abs(fy - cy) <= r * 0.7
                    }
                    for c in 0..<3 {
                        let shade = background[c] + slope[c] * (fx + fy) / 64
                        image[c * 1024 + y * 32 + x] = min(max(inside ? colour[c] : shade, 0), 1)
                    }
                }
            }
            images += image
            labels.append(kind)
        }
        return LabeledImages(images: images, labels: labels, channels: 3, height: 32, width: 32)
    }
}
