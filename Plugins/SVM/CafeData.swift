import Foundation
import PluginAPI

/// The CAFE facial-expression images as the course reads them: a flat folder of PGM files
/// named `DDD_<letter><digit>.pgm`, 380 rows by 240 columns, scaled to [0, 1].
public struct CafeData {
    /// The six expressions in label order, by the letter in the file name.
    public static let emotions: [(letter: Character, name: String)] = [
        ("a", "anger"), ("d", "disgusted"), ("h", "happy"), ("m", "maudlin"), ("f", "fear"), ("s", "surprise"),
    ]
    public static let rows = 380, columns = 240
    public static var pixels: Int { rows * columns }

    /// One split: images (N, 91,200) and labels.
    public struct Split {
        public var images: [Float] = []
        public var labels: [Int] = []
        public var files: [String] = []
        public var count: Int { labels.count }
        /// The images as an (N, 91,200) tensor.
        public var tensor: Tensor { Tensor(images, shape: [count, CafeData.pixels]) }
    }

    public var train = Split(), test = Split()
    public var folder: String
    /// `.pgm` files whose names are not `DDD_<letter><digit>.pgm` with one of the six letters:
    /// skipped, as the starter's `re.fullmatch` skips them (its dictionary would fail on other
    /// letters, such as CAFE's neutral `n`), and named by the caller.
    public var skipped: [String] = []

    /// The label and split a file name gives: `018_h2.pgm` is happy (2) and, with 1 as the
    /// id's second digit, training; ids whose second digit is 2 or 3 are test.
    public static func parse(name: String) -> (label: Int, isTest: Bool)? {
        let chars = Array(name)
        guard chars.count == 10, name.hasSuffix(".pgm"), chars[0...2].allSatisfy(\.isNumber), chars[3] == "_", chars[5].isNumber,
              let label = emotions.firstIndex(where: { $0.letter == chars[4] }) else { return nil }
        return (label, chars[1] == "2" || chars[1] == "3")
    }

    /// Reads every `.pgm` of `folder` named as CAFE's images are (others are listed in
    /// `skipped`). Errors name the file: a wrong size, a damaged file, or no images at all.
    public static func read(folder: String) throws -> CafeData {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PluginError.invalidInput("\(folder) is not a folder", hint: "give the folder of CAFE .pgm files (--cafe-dir)")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".pgm") }.sorted()
        guard !names.isEmpty else {
            throw PluginError.invalidInput("\(folder) holds no .pgm images", hint: "CAFE images are files such as 018_h2.pgm in one flat folder")
        }
        var data = CafeData(folder: folder)
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let (label, isTest) = parse(name: name) else {
                data.skipped.append(name)
                continue
            }
            let image = try PGM.read(path)
            guard image.height == rows, image.width == columns else {
                throw PluginError.invalidInput("\(path): \(image.width) x \(image.height) pixels, CAFE images are \(columns) wide and \(rows) high",
                                               hint: "use the course's 380 x 240 images")
            }
            if isTest { data.test.append(image, label, name) } else { data.train.append(image, label, name) }
        }
        guard data.train.count + data.test.count > 0 else {
            let letters = emotions.map { "\($0.letter) \($0.name)" }.joined(separator: ", ")
            throw PluginError.invalidInput("\(folder): none of its \(names.count) .pgm files is named DDD_<letter><digit>.pgm with an expression letter (\(names[0]), ...)",
                                           hint: "letters: \(letters); for example 018_h2.pgm")
        }
        guard data.train.count > 0 else {
            throw PluginError.invalidInput("\(folder): no training images (every id's second digit is 2 or 3)", hint: "ids with another second digit are the training set")
        }
        return data
    }
}

extension CafeData.Split {
    mutating func append(_ image: GrayImage, _ label: Int, _ name: String) {
        images += image.scaled
        labels.append(label)
        files.append(name)
    }
}
