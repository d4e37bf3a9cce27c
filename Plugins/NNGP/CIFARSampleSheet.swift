import Foundation
import PluginAPI

/// The picture `cifar-samples` writes: one row per class, its name on the left, then
/// `perClass` training images and, after a gap, `perClass` test images, each 32 x 32 image
/// repeated `scale` times in both directions (no blur). A cell with no image (a class with
/// fewer images than asked) is light gray.
public struct CIFARSampleSheet: Sendable {
    /// Images per class and split, and the upscaling factor of each.
    public var perClass: Int, scale: Int
    /// The class names drawn on the left (cut to `maxNameLength` characters).
    public var classNames: [String]
    /// The captions above the two blocks (cut to the block's width).
    public var trainTitle = "train", testTitle = "test"

    /// The runtime's caption font is 7 x 13 pixels per character.
    static let glyphWidth = 7, glyphHeight = 13
    static let padding = 4, gap = 16, maxNameLength = 14
    /// The gray of an empty cell.
    public static let emptyGray: UInt8 = 220

    /// A sheet of `perClass` images per class and split, each `scale` times larger.
    public init(perClass: Int, scale: Int, classNames: [String]) {
        self.perClass = max(perClass, 1)
        self.scale = max(scale, 1)
        self.classNames = classNames
    }

    var cell: Int { 32 * scale }
    var labelWidth: Int { (classNames.map { min($0.count, Self.maxNameLength) }.max() ?? 0) * Self.glyphWidth + 2 * Self.padding }
    var top: Int { 2 * Self.padding + Self.glyphHeight + 2 }
    var blockWidth: Int { perClass * (cell + Self.padding) }

    /// The picture's width and height in pixels.
    public var size: (width: Int, height: Int) {
        (Self.padding + labelWidth + 2 * blockWidth + Self.gap, top + 10 * (cell + Self.padding))
    }

    /// The top-left pixel of the cell of class `row`, sample `column`, in the training
    /// (`test` false) or the test block.
    public func origin(test: Bool, row: Int, column: Int) -> (x: Int, y: Int) {
        (Self.padding + labelWidth + (test ? blockWidth + Self.gap : 0) + column * (cell + Self.padding), top + row * (cell + Self.padding))
    }

    /// One CIFAR-10 record's 3,072 bytes (R, G, B planes) as an RGB image.
    public static func image(_ pixels: [UInt8]) -> Image {
        var out = Image(width: 32, height: 32, channels: 3)
        for p in 0..<min(pixels.count, 3072) {
            let (c, q) = (p / 1024, p % 1024)
            out.pixels[q * 3 + c] = pixels[p]
        }
        return out
    }

    /// The sheet for the samples of both splits (`train[c]`, `test[c]`: the images of class c).
    public func render(train: [[CIFARCensus.Sample]], test: [[CIFARCensus.Sample]]) -> Image {
        let (width, height) = size
        var sheet = Image(width: width, height: height, channels: 3)
        let headerY = Self.padding
        let fits = max(1, blockWidth / Self.glyphWidth)
        sheet.draw(text: String(trainTitle.prefix(fits)), x: origin(test: false, row: 0, column: 0).x, y: headerY)
        sheet.draw(text: String(testTitle.prefix(fits)), x: origin(test: true, row: 0, column: 0).x, y: headerY)
        let blank = Image(width: cell, height: cell, channels: 3, fill: Self.emptyGray)
        for row in 0..<10 {
            let name = row < classNames.count ? String(classNames[row].prefix(Self.maxNameLength)) : "class \(row)"
            sheet.draw(text: name, x: Self.padding, y: origin(test: false, row: row, column: 0).y + (cell - Self.glyphHeight) / 2)
            for (isTest, samples) in [(false, train), (true, test)] {
                let drawn = row < samples.count ? samples[row] : []
                for column in 0..<perClass {
                    let (x, y) = origin(test: isTest, row: row, column: column)
                    sheet.paste(column < drawn.count ? Self.image(drawn[column].pixels).upscaled(scale) : blank, x: x, y: y)
                }
            }
        }
        return sheet
    }
}
