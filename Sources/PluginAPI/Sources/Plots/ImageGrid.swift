import Engine
import Formats

/// Images from tensors, upscaling without blur, and captioned grids for reports.
extension Image {
    /// How tensor values become bytes.
    public enum Scaling {
        /// (v - min) * 255 / (max - min) over the values given (a constant image becomes mid-gray).
        case minMax
        /// (v - low) * 255 / (high - low), clamped: e.g. `.range(0, 1)` for images in [0, 1].
        case range(Float, Float)
    }

    /// An image from a (H, W) tensor (grayscale) or a (C, H, W) tensor with C = 1 or 3. Each
    /// byte is (v - low) * 255 / (high - low) in Float, clamped to [0, 255] and made whole by
    /// `rounding`: to nearest by default, or `.towardZero` as torch's `.int()` and NumPy's
    /// `astype(int)` cast (the CS446 CAFE weight maps).
    public init(tensor: Tensor, scaling: Scaling, rounding: FloatingPointRoundingRule = .toNearestOrAwayFromZero) {
        let (c, h, w): (Int, Int, Int)
        switch tensor.rank {
        case 2: (c, h, w) = (1, tensor.shape[0], tensor.shape[1])
        case 3: (c, h, w) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
        default: engineFailure("an image needs a (H, W) or (C, H, W) tensor, got \(tensor.shape)")
        }
        engineCheck(c == 1 || c == 3, "an image has 1 or 3 channels, the tensor has \(c)")
        let values = tensor.values
        let (low, high): (Float, Float)
        switch scaling {
        case .minMax: (low, high) = (values.min() ?? 0, values.max() ?? 1)
        case .range(let lo, let hi): (low, high) = (lo, hi)
        }
        self.init(width: w, height: h, channels: c)
        for y in 0..<h {
            for x in 0..<w {
                for ch in 0..<c {
                    let v = values[(ch * h + y) * w + x]
                    let scaled = high > low ? (v - low) * 255 / (high - low) : 127.5
                    pixels[(y * w + x) * c + ch] = UInt8(Swift.min(Swift.max(scaled.isNaN ? 0 : scaled, 0), 255).rounded(rounding))
                }
            }
        }
    }

    /// Several (H, W) maps scaled together by one min-max over all of them (so they compare):
    /// (v - min) * 255 / (max - min), made whole by `rounding` (see `init(tensor:scaling:rounding:)`).
    public static func jointlyScaled(_ tensors: [Tensor], rounding: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> [Image] {
        let all = tensors.flatMap(\.values)
        let (low, high) = (all.min() ?? 0, all.max() ?? 1)
        return tensors.map { Image(tensor: $0, scaling: .range(low, high), rounding: rounding) }
    }

    /// Each pixel repeated `factor` times in both directions (nearest neighbour: no blur).
    public func upscaled(_ factor: Int) -> Image {
        guard factor > 1 else { return self }
        var out = Image(width: width * factor, height: height * factor, channels: channels)
        for y in 0..<out.height {
            for x in 0..<out.width {
                let (src, dst) = (((y / factor) * width + x / factor) * channels, (y * out.width + x) * channels)
                for ch in 0..<channels { out.pixels[dst + ch] = pixels[src + ch] }
            }
        }
        return out
    }

    /// This image as RGB.
    public var rgb: Image {
        guard channels == 1 else { return self }
        return Image(width: width, height: height, channels: 3, pixels: pixels.flatMap { [$0, $0, $0] })
    }

    /// Copies `other` with its top-left corner at (x, y) (clipped).
    public mutating func paste(_ other: Image, x: Int, y: Int) {
        let source = channels == 3 ? other.rgb : other
        for sy in 0..<source.height where y + sy >= 0 && y + sy < height {
            for sx in 0..<source.width where x + sx >= 0 && x + sx < width {
                for ch in 0..<channels {
                    pixels[((y + sy) * width + x + sx) * channels + ch] = source.pixels[(sy * source.width + sx) * source.channels + Swift.min(ch, source.channels - 1)]
                }
            }
        }
    }

    /// Draws `text` in black with its top-left at (x, y), clipped to the image.
    public mutating func draw(text: String, x: Int, y: Int) {
        for (k, character) in text.enumerated() {
            for gy in 0..<BitmapFont.height {
                for gx in 0..<BitmapFont.width where BitmapFont.pixel(character, x: gx, y: gy) {
                    let (px, py) = (x + k * BitmapFont.width + gx, y + gy)
                    guard px >= 0, px < width, py >= 0, py < height else { continue }
                    for ch in 0..<channels { pixels[(py * width + px) * channels + ch] = 0 }
                }
            }
        }
    }

    /// A grid of images, `columns` wide, each upscaled by `scale` and captioned underneath, on
    /// white; RGB if any image is. Cells are as large as the largest image.
    public static func grid(_ images: [Image], captions: [String] = [], columns: Int, scale: Int = 1, padding: Int = 8) -> Image {
        let scaled = images.map { $0.upscaled(scale) }
        let cellWidth = Swift.max(scaled.map(\.width).max() ?? 0, (captions.map(\.count).max() ?? 0) * BitmapFont.width)
        let cellHeight = (scaled.map(\.height).max() ?? 0) + (captions.isEmpty ? 0 : BitmapFont.height + 2)
        let columns = Swift.max(1, Swift.min(columns, images.count))
        let rows = (images.count + columns - 1) / columns
        let channels = images.contains { $0.channels == 3 } ? 3 : 1
        var out = Image(width: padding + columns * (cellWidth + padding), height: padding + rows * (cellHeight + padding), channels: channels)
        for (i, image) in scaled.enumerated() {
            let (x, y) = (padding + (i % columns) * (cellWidth + padding), padding + (i / columns) * (cellHeight + padding))
            out.paste(image, x: x + (cellWidth - image.width) / 2, y: y)
            if i < captions.count {
                let caption = captions[i]
                out.draw(text: caption, x: x + (cellWidth - caption.count * BitmapFont.width) / 2, y: y + image.height + 2)
            }
        }
        return out
    }
}
