import Foundation
import PluginAPI
import XCTest

final class PNGTests: XCTestCase {
    func testChecksumsMatchKnownValues() {
        XCTAssertEqual(Checksum.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(Checksum.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(Checksum.adler32([UInt8](repeating: 255, count: 100_000)), adlerReference([UInt8](repeating: 255, count: 100_000)))
    }

    func adlerReference(_ bytes: [UInt8]) -> UInt32 {
        var (a, b): (UInt64, UInt64) = (1, 0)
        for x in bytes { a = (a + UInt64(x)) % 65521; b = (b + a) % 65521 }
        return UInt32(b << 16 | a)
    }

    func testDeflateRoundTripsAndCompresses() throws {
        var g = SeededGenerator(seed: 1)
        let noise = (0..<5000).map { _ in UInt8(truncatingIfNeeded: g.next()) }
        let text = Array(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 200).utf8)
        for data in [[], [7], noise, text, [UInt8](repeating: 0, count: 70_000)] {
            let stream = Deflate.zlib(data)
            XCTAssertEqual(try Inflate.zlib(stream), data)
        }
        XCTAssertLessThan(Deflate.zlib(text).count, text.count / 10, "repeated text compresses")
    }

    func testPNGRoundTripGrayAndRGB() throws {
        var g = SeededGenerator(seed: 2)
        for (w, h, c) in [(1, 1, 1), (7, 5, 3), (33, 17, 1), (64, 64, 3)] {
            var image = Image(width: w, height: h, channels: c)
            for i in 0..<image.pixels.count { image.pixels[i] = i % 3 == 0 ? UInt8(truncatingIfNeeded: g.next()) : UInt8((i / c) % 251) }
            let decoded = try PNG.decode(PNG.encode(image))
            XCTAssertEqual(decoded, image, "\(w)x\(h)x\(c)")
        }
    }

    func testEachRowTakesTheFilterWithTheSmallestSumOfSignedBytes() throws {
        // The filtered rows of the IDAT against the heuristic written out row by row.
        var g = SeededGenerator(seed: 3)
        for (w, h, c) in [(1, 1, 1), (9, 6, 3), (40, 12, 1)] {
            var image = Image(width: w, height: h, channels: c)
            for i in 0..<image.pixels.count { image.pixels[i] = i % 4 == 0 ? UInt8(truncatingIfNeeded: g.next()) : UInt8((i / c) % 7 * 30) }
            let png = PNG.encode(image)
            let length = png[33..<37].reduce(0) { $0 << 8 | Int($1) }   // IDAT follows the 25-byte IHDR chunk
            let raw = try Inflate.zlib(Array(png[41..<(41 + length)]))
            let stride = w * c
            XCTAssertEqual(raw.count, h * (stride + 1))
            for y in 0..<h {
                let row = Array(image.pixels[(y * stride)..<((y + 1) * stride)])
                let above = y == 0 ? [UInt8](repeating: 0, count: stride) : Array(image.pixels[((y - 1) * stride)..<(y * stride)])
                let candidates = (0...4).map { type in (0..<stride).map { i -> UInt8 in
                    let (a, b, cc) = (i >= c ? row[i - c] : 0, above[i], i >= c ? above[i - c] : 0)
                    let p = Int(a) + Int(b) - Int(cc)
                    let paeth = abs(p - Int(a)) <= abs(p - Int(b)) && abs(p - Int(a)) <= abs(p - Int(cc)) ? a : (abs(p - Int(b)) <= abs(p - Int(cc)) ? b : cc)
                    let predicted: [UInt8] = [0, a, b, UInt8((Int(a) + Int(b)) / 2), paeth]
                    return row[i] &- predicted[type]
                } }
                let costs = candidates.map { $0.reduce(0) { $0 + Int(Int8(bitPattern: $1).magnitude) } }
                let best = costs.firstIndex(of: costs.min() ?? 0) ?? 0
                let start = y * (stride + 1)
                XCTAssertEqual(Int(raw[start]), best, "\(w)x\(h)x\(c) row \(y)")
                XCTAssertEqual(Array(raw[(start + 1)..<(start + 1 + stride)]), candidates[best], "\(w)x\(h)x\(c) row \(y)")
            }
        }
    }

    func testCorruptionIsDetected() {
        let bytes = PNG.encode(Image(width: 4, height: 4, channels: 1, fill: 9))
        var badCRC = bytes
        badCRC[20] ^= 0xFF                             // inside IHDR
        XCTAssertThrowsError(try PNG.decode(badCRC, name: "x.png")) { error in
            XCTAssertTrue((error as? PluginError)?.message.contains("CRC mismatch in chunk IHDR") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try PNG.decode(Array(bytes.prefix(30)), name: "x.png"))
        XCTAssertThrowsError(try PNG.decode(Array("GIF89a".utf8), name: "x.png")) { error in
            XCTAssertTrue((error as? PluginError)?.message.contains("no PNG signature") ?? false)
        }
        var stream = Deflate.zlib([1, 2, 3, 4])
        stream[stream.count - 1] ^= 1
        XCTAssertThrowsError(try Inflate.zlib(stream)) { error in XCTAssertTrue("\(error)".contains("Adler-32")) }
    }

    func testTensorScalingAndJointScaling() {
        let t = Tensor([0, 1, 2, 4], shape: [2, 2])
        XCTAssertEqual(Image(tensor: t, scaling: .minMax).pixels, [0, 64, 128, 255])
        XCTAssertEqual(Image(tensor: t, scaling: .range(0, 2)).pixels, [0, 128, 255, 255])
        let maps = Image.jointlyScaled([Tensor([0, 1], shape: [1, 2]), Tensor([2, 4], shape: [1, 2])])
        XCTAssertEqual(maps.map(\.pixels), [[0, 64], [128, 255]])
        let rgb = Image(tensor: Tensor([1, 0, 0, 1, 0, 0], shape: [3, 1, 2]), scaling: .range(0, 1))
        XCTAssertEqual(rgb.pixels, [255, 0, 0, 0, 255, 0], "pixel 0 red, pixel 1 green")
    }

    func testUpscaleIsNearestNeighbour() {
        let image = Image(width: 2, height: 1, channels: 1, pixels: [10, 200])
        XCTAssertEqual(image.upscaled(3).pixels, [10, 10, 10, 200, 200, 200] + [10, 10, 10, 200, 200, 200] + [10, 10, 10, 200, 200, 200])
    }

    func testGridPlacesImagesAndCaptions() throws {
        let black = Image(width: 4, height: 4, channels: 1, fill: 0)
        let grid = Image.grid([black, black, black], captions: ["a", "b", "c"], columns: 2, scale: 2, padding: 8)
        XCTAssertEqual(grid.width, 8 + 2 * (8 + 8))
        XCTAssertEqual(grid.height, 8 + 2 * (8 + 13 + 2 + 8))
        XCTAssertEqual(grid.pixels[8 * grid.width + 8], 0, "first image at the padding corner")
        XCTAssertEqual(grid.pixels[0], 255, "white background")
        let captionRows = (8 + 8 + 2)..<(8 + 8 + 2 + 13)
        XCTAssertTrue(captionRows.contains { y in (8..<16).contains { x in grid.pixels[y * grid.width + x] == 0 } }, "caption drawn")
        XCTAssertEqual(try PNG.decode(PNG.encode(grid)), grid)
    }
}
