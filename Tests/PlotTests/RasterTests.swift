import XCTest
import Foundation
import PluginAPI

/// The SVG rasteriser on small known documents, checked pixel by pixel.
final class RasterTests: XCTestCase {
    private func render(_ body: String, width: Int = 40, height: Int = 30, scale: Double = 1) throws -> Image {
        try SVGRaster.image(svg: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\">\(body)</svg>",
                            scale: scale)
    }

    private func rgb(_ image: Image, _ x: Int, _ y: Int) -> [Int] {
        let i = (y * image.width + x) * 3
        return [Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2])]
    }

    private func assertPixel(_ image: Image, _ x: Int, _ y: Int, _ expected: [Int], tolerance: Int = 1,
                             file: StaticString = #filePath, line: UInt = #line) {
        let got = rgb(image, x, y)
        XCTAssertTrue(zip(got, expected).allSatisfy { abs($0 - $1) <= tolerance },
                      "pixel (\(x), \(y)) is \(got), expected \(expected)", file: file, line: line)
    }

    /// Bounding box (x0, y0, x1, y1; exclusive ends) and count of pixels darker than 200 per
    /// channel sum / 3, and the count of pixels that are not white at all.
    private func ink(_ image: Image) -> (box: (Int, Int, Int, Int)?, dark: Int, touched: Int) {
        var box: (Int, Int, Int, Int)? = nil
        var dark = 0, touched = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let p = rgb(image, x, y)
                if p != [255, 255, 255] {
                    touched += 1
                    box = box.map { (min($0.0, x), min($0.1, y), max($0.2, x + 1), max($0.3, y + 1)) } ?? (x, y, x + 1, y + 1)
                }
                if p.reduce(0, +) < 600 { dark += 1 }
            }
        }
        return (box, dark, touched)
    }

    /// Total coverage of a black shape on white: sum over pixels of (255 - red) / 255.
    private func coveredArea(_ image: Image) -> Double {
        stride(from: 0, to: image.pixels.count, by: 3).reduce(0) { $0 + Double(255 - Int(image.pixels[$1])) / 255 }
    }

    func testFilledRectInteriorAndAntialiasedEdges() throws {
        let image = try render("<rect x=\"10.5\" y=\"5\" width=\"20\" height=\"10\" fill=\"#ff0000\"/>")
        XCTAssertEqual(image.width, 40)
        XCTAssertEqual(image.height, 30)
        assertPixel(image, 20, 10, [255, 0, 0], tolerance: 0)
        assertPixel(image, 11, 5, [255, 0, 0], tolerance: 0)
        assertPixel(image, 29, 14, [255, 0, 0], tolerance: 0)
        // Half-covered columns at x = 10 and x = 30 blend red and white half and half.
        assertPixel(image, 10, 10, [255, 128, 128], tolerance: 1)
        assertPixel(image, 30, 10, [255, 128, 128], tolerance: 1)
        for (x, y) in [(9, 10), (31, 10), (20, 4), (20, 15), (0, 0), (39, 29)] {
            assertPixel(image, x, y, [255, 255, 255], tolerance: 0)
        }
        // At scale 2 the rectangle covers device pixels 21..<61 and 10..<30 exactly.
        let twice = try render("<rect x=\"10.5\" y=\"5\" width=\"20\" height=\"10\" fill=\"#ff0000\"/>", scale: 2)
        XCTAssertEqual(twice.width, 80)
        XCTAssertEqual(twice.height, 60)
        assertPixel(twice, 21, 10, [255, 0, 0], tolerance: 0)
        assertPixel(twice, 60, 29, [255, 0, 0], tolerance: 0)
        assertPixel(twice, 20, 10, [255, 255, 255], tolerance: 0)
        assertPixel(twice, 61, 29, [255, 255, 255], tolerance: 0)
        assertPixel(twice, 30, 30, [255, 255, 255], tolerance: 0)
        // A rectangle spanning half a pixel vertically: vertical coverage is sampled too.
        let thin = try render("<rect x=\"0\" y=\"10\" width=\"40\" height=\"0.5\" fill=\"#000\"/>")
        assertPixel(thin, 20, 10, [128, 128, 128], tolerance: 1)
    }

    func testColoursAndOpacity() throws {
        let image = try render("""
            <rect x="0" y="0" width="10" height="10" fill="#0f0"/>
            <rect x="10" y="0" width="10" height="10" fill="navy"/>
            <rect x="20" y="0" width="10" height="10" fill="#000" fill-opacity="0.5"/>
            <rect x="30" y="0" width="10" height="10" fill="rgb(10, 20, 30)"/>
            <g fill="#123456"><rect x="0" y="10" width="10" height="10"/>
              <rect x="10" y="10" width="10" height="10" style="fill: #abcdef"/>
              <rect x="20" y="10" width="10" height="10" fill="none" stroke="#000"/>
              <rect x="30" y="10" width="10" height="10" fill="not-a-colour"/></g>
            <g opacity="0.5"><rect x="0" y="20" width="10" height="10" fill="#000"/></g>
            """)
        assertPixel(image, 5, 5, [0, 255, 0], tolerance: 0)
        assertPixel(image, 15, 5, [0, 0, 128], tolerance: 0)
        assertPixel(image, 25, 5, [128, 128, 128], tolerance: 1)
        assertPixel(image, 35, 5, [10, 20, 30], tolerance: 0)
        assertPixel(image, 5, 15, [0x12, 0x34, 0x56], tolerance: 0)   // inherited from the group
        assertPixel(image, 15, 15, [0xab, 0xcd, 0xef], tolerance: 0)  // style wins over the attribute
        assertPixel(image, 25, 15, [255, 255, 255], tolerance: 0)     // fill none: only the outline
        assertPixel(image, 20, 15, [128, 128, 128], tolerance: 1)     // its 1 px stroke straddles x = 20
        assertPixel(image, 35, 15, [0x12, 0x34, 0x56], tolerance: 0)  // an unknown colour keeps the inherited one
        assertPixel(image, 5, 25, [128, 128, 128], tolerance: 1)
    }

    func testHorizontalLinesAndCaps() throws {
        let image = try render("""
            <line x1="5" y1="10.5" x2="35" y2="10.5" stroke="#000" stroke-width="1"/>
            <line x1="5" y1="20" x2="35" y2="20" stroke="#000" stroke-width="1"/>
            <line x1="5" y1="26" x2="35" y2="26" stroke="#000" stroke-width="3" stroke-linecap="square"/>
            """)
        // A 1 px line centred on a pixel row fills exactly that row, between its butt ends.
        for x in 5..<35 { assertPixel(image, x, 10, [0, 0, 0], tolerance: 0) }
        for x in [5, 20, 34] {
            assertPixel(image, x, 9, [255, 255, 255], tolerance: 0)
            assertPixel(image, x, 11, [255, 255, 255], tolerance: 0)
        }
        assertPixel(image, 4, 10, [255, 255, 255], tolerance: 0)
        assertPixel(image, 35, 10, [255, 255, 255], tolerance: 0)
        // On a pixel boundary it covers two rows by half.
        assertPixel(image, 20, 19, [128, 128, 128], tolerance: 1)
        assertPixel(image, 20, 20, [128, 128, 128], tolerance: 1)
        assertPixel(image, 20, 18, [255, 255, 255], tolerance: 0)
        assertPixel(image, 20, 21, [255, 255, 255], tolerance: 0)
        // 3 px wide from y 24.5 to 27.5; square caps reach 1.5 px beyond the ends.
        assertPixel(image, 20, 25, [0, 0, 0], tolerance: 0)
        assertPixel(image, 20, 26, [0, 0, 0], tolerance: 0)
        assertPixel(image, 20, 24, [128, 128, 128], tolerance: 1)
        assertPixel(image, 4, 26, [0, 0, 0], tolerance: 0)
        assertPixel(image, 3, 26, [128, 128, 128], tolerance: 1)
        assertPixel(image, 36, 26, [128, 128, 128], tolerance: 1)
    }

    func testDashesJoinsAndPaths() throws {
        let dashed = try render("<line x1=\"0\" y1=\"10.5\" x2=\"40\" y2=\"10.5\" stroke=\"#000\" stroke-dasharray=\"6 3\"/>")
        // Dashes cover 0..<6, 9..<15, 18..<24, ...
        for x in [0, 5, 9, 14, 18] { assertPixel(dashed, x, 10, [0, 0, 0], tolerance: 0) }
        for x in [6, 8, 15, 17, 24] { assertPixel(dashed, x, 10, [255, 255, 255], tolerance: 0) }

        let vee = try render("<path d=\"M5 25 L20 5 L35 25\" fill=\"none\" stroke=\"#000\" stroke-width=\"4\" stroke-linejoin=\"round\"/>")
        assertPixel(vee, 12, 15, [0, 0, 0], tolerance: 0)       // on the first segment
        assertPixel(vee, 27, 15, [0, 0, 0], tolerance: 0)       // on the second
        assertPixel(vee, 19, 4, [0, 0, 0], tolerance: 0)        // the round join closes the apex
        assertPixel(vee, 20, 14, [255, 255, 255], tolerance: 0) // inside the V
        assertPixel(vee, 20, 25, [255, 255, 255], tolerance: 0)
        // Relative commands, H/V and Z give the same square as absolute ones.
        let a = try render("<path d=\"M10 5 h20 v20 h-20 z\" fill=\"#000\"/>")
        let b = try render("<path d=\"M10,5L30,5L30,25L10,25Z\" fill=\"#000\"/>")
        XCTAssertEqual(a, b)
        XCTAssertEqual(coveredArea(a), 400, accuracy: 0.5)
    }

    func testCircleAndPolygonCoverExactAreas() throws {
        let circle = try render("<circle cx=\"20\" cy=\"15\" r=\"8\" fill=\"#000\"/>")
        assertPixel(circle, 20, 15, [0, 0, 0], tolerance: 0)
        assertPixel(circle, 20, 5, [255, 255, 255], tolerance: 0)
        assertPixel(circle, 29, 15, [255, 255, 255], tolerance: 0)
        XCTAssertEqual(coveredArea(circle), Double.pi * 64, accuracy: 2)
        let triangle = try render("<polygon points=\"20,5 30,25 10,25\" fill=\"#000\"/>")
        XCTAssertEqual(coveredArea(triangle), 200, accuracy: 1.5)
        // Two overlapping squares in one path (nonzero) cover their union, not more.
        let union = try render("<path d=\"M5 5h20v20h-20z M15 5h20v20h-20z\" fill=\"#000\"/>")
        XCTAssertEqual(coveredArea(union), 600, accuracy: 0.5)
        let evenOdd = try render("<path d=\"M5 5h20v20h-20z M15 5h20v20h-20z\" fill=\"#000\" fill-rule=\"evenodd\"/>")
        XCTAssertEqual(coveredArea(evenOdd), 400, accuracy: 0.5)
    }

    func testClipPaths() throws {
        let image = try render("""
            <defs><clipPath id="c"><rect x="10" y="10" width="10" height="5"/></clipPath></defs>
            <g clip-path="url(#c)"><rect x="0" y="0" width="40" height="30" fill="#00f"/></g>
            <g transform="translate(15,10)" clip-path="url(#c)"><rect x="0" y="0" width="40" height="30" fill="#f00"/></g>
            <g clip-path="url(#missing)"><rect x="0" y="28" width="40" height="2" fill="#0f0"/></g>
            """)
        assertPixel(image, 10, 10, [0, 0, 255], tolerance: 0)
        assertPixel(image, 19, 14, [0, 0, 255], tolerance: 0)
        for (x, y) in [(9, 12), (20, 12), (15, 9), (15, 15)] { assertPixel(image, x, y, [255, 255, 255], tolerance: 0) }
        // The clip applies in the user space of the element that refers to it.
        assertPixel(image, 25, 20, [255, 0, 0], tolerance: 0)
        assertPixel(image, 34, 24, [255, 0, 0], tolerance: 0)
        assertPixel(image, 24, 20, [255, 255, 255], tolerance: 0)
        assertPixel(image, 25, 25, [255, 255, 255], tolerance: 0)
        // A reference to no clip path draws unclipped.
        assertPixel(image, 0, 29, [0, 255, 0], tolerance: 0)
    }

    func testTextInkStaysInItsBox() throws {
        let image = try render("<text x=\"10\" y=\"30\" font-size=\"20\" fill=\"#000\">Hello</text>", width: 120, height: 40)
        let (box, dark, _) = ink(image)
        XCTAssertGreaterThan(dark, 80, "the text left too little ink")
        let b = try XCTUnwrap(box)
        // Cap height of DejaVu Sans is 0.73 em: ink from about y 15.4 down to the baseline at
        // 30 (the o overshoots it by a quarter pixel); "Hello" advances 2.28 em (45.6 px) in
        // the condensed face, the o's ink ending about half a pixel before that.
        XCTAssertGreaterThanOrEqual(b.0, 10)
        XCTAssertLessThanOrEqual(b.0, 14)
        XCTAssertGreaterThanOrEqual(b.1, 14)
        XCTAssertLessThanOrEqual(b.1, 17)
        XCTAssertTrue((30...31).contains(b.3), "ink ends at row \(b.3)")
        XCTAssertTrue((54...56).contains(b.2), "ink ends at column \(b.2)")

        // text-anchor end ends the ink at x; middle centres it on x.
        let end = ink(try render("<text x=\"100\" y=\"30\" font-size=\"20\" text-anchor=\"end\">Hello</text>", width: 120, height: 40))
        let e = try XCTUnwrap(end.box)
        XCTAssertLessThanOrEqual(e.2, 101)
        XCTAssertGreaterThanOrEqual(e.2, 96)
        let middle = ink(try render("<text x=\"60\" y=\"30\" font-size=\"20\" text-anchor=\"middle\">Hello</text>", width: 120, height: 40))
        let m = try XCTUnwrap(middle.box)
        XCTAssertEqual(Double(m.0 + m.2) / 2, 60, accuracy: 3)
        XCTAssertEqual(m.2 - m.0, b.2 - b.0, accuracy: 1)

        // Bold is heavier, and entities decode ("&lt;b&gt;" draws three glyphs, not eight).
        let bold = ink(try render("<text x=\"10\" y=\"30\" font-size=\"20\" font-weight=\"bold\">Hello</text>", width: 120, height: 40))
        XCTAssertGreaterThan(bold.dark, dark + 20)
        let entity = ink(try render("<text x=\"0\" y=\"30\" font-size=\"20\">&lt;b&gt;</text>", width: 120, height: 40))
        XCTAssertLessThan(try XCTUnwrap(entity.box).2, 45)   // "<b>" advances 41.6 px
    }

    func testRotatedTextLandsWhereExpected() throws {
        let upright = ink(try render("<text x=\"10\" y=\"30\" font-size=\"20\">Hello</text>", width: 120, height: 40))
        let u = try XCTUnwrap(upright.box)
        // -90 degrees about (20, 60), centred: the text runs upwards through y = 60, its
        // glyphs standing to the left of x = 20.
        let vertical = ink(try render("<text x=\"20\" y=\"60\" font-size=\"20\" text-anchor=\"middle\" transform=\"rotate(-90 20 60)\">Hello</text>",
                                      width: 40, height: 120))
        let v = try XCTUnwrap(vertical.box)
        XCTAssertLessThanOrEqual(v.2, 21)
        XCTAssertGreaterThanOrEqual(v.0, 3)
        XCTAssertEqual(v.3 - v.1, u.2 - u.0, accuracy: 1)   // as tall as the upright text is wide
        XCTAssertEqual(v.2 - v.0, u.3 - u.1, accuracy: 1)
        XCTAssertEqual(Double(v.1 + v.3) / 2, 60, accuracy: 3)
        let uprightInk = coveredArea(try render("<text x=\"10\" y=\"30\" font-size=\"20\">Hello</text>", width: 120, height: 40))
        let verticalInk = coveredArea(try render("<text x=\"20\" y=\"60\" font-size=\"20\" text-anchor=\"middle\" transform=\"rotate(-90 20 60)\">Hello</text>",
                                                 width: 40, height: 120))
        XCTAssertEqual(verticalInk, uprightInk, accuracy: uprightInk * 0.03)

        // -40 degrees, anchored at its end (bar chart category labels): the text lies to the
        // left of and below (100, 20), rising towards it.
        let slanted = try render("<text x=\"100\" y=\"20\" font-size=\"20\" text-anchor=\"end\" transform=\"rotate(-40 100 20)\">Hello</text>",
                                 width: 140, height: 100)
        let s = try XCTUnwrap(ink(slanted).box)
        XCTAssertLessThanOrEqual(s.2, 103)
        XCTAssertGreaterThanOrEqual(s.1, 4)
        XCTAssertGreaterThan(s.3, 45)
        XCTAssertLessThan(s.0, 60)
        // The ink's lower-left part is further from the anchor than its upper-right part.
        var sumX = 0.0, sumY = 0.0, n = 0.0
        for y in 0..<slanted.height { for x in 0..<slanted.width where rgb(slanted, x, y).reduce(0, +) < 600 {
            sumX += Double(x); sumY += Double(y); n += 1
        } }
        XCTAssertLessThan(sumX / n, 85)
        XCTAssertGreaterThan(sumY / n, 28)
    }

    func testTextHaloAndUnknownCharacters() throws {
        // paint-order="stroke": a white halo under dark text over a dark background.
        let image = try render("""
            <rect x="0" y="0" width="120" height="40" fill="#000"/>
            <text x="10" y="30" font-size="20" fill="#000" stroke="#fff" stroke-width="4" paint-order="stroke">Hi</text>
            """, width: 120, height: 40)
        var white = 0
        for y in 0..<40 { for x in 0..<120 where rgb(image, x, y) == [255, 255, 255] { white += 1 } }
        XCTAssertGreaterThan(white, 60, "the halo is missing")
        // Characters outside the font draw as "?" instead of nothing; combining marks add ink.
        let unknown = ink(try render("<text x=\"5\" y=\"30\" font-size=\"20\">汉</text>", width: 120, height: 40))
        XCTAssertGreaterThan(unknown.dark, 10)
        let plain = ink(try render("<text x=\"5\" y=\"30\" font-size=\"20\">W</text>", width: 120, height: 40))
        let marked = ink(try render("<text x=\"5\" y=\"30\" font-size=\"20\">W\u{304}</text>", width: 120, height: 40))
        XCTAssertGreaterThan(marked.dark, plain.dark + 5)
        XCTAssertLessThan(try XCTUnwrap(marked.box).1, try XCTUnwrap(plain.box).1)
    }

    func testMalformedInputNeverCrashes() throws {
        // No svg root, no size, too large, bad scale: thrown errors.
        for bad in ["", "hello", "<html/>", "<svg>", "<svg width=\"0\" height=\"10\"/>", "<svg width=\"1e9\" height=\"1e9\"/>",
                    "<svg width=\"nan\" height=\"10\"/>", "<svg width=\"100%\" height=\"100%\"/>"] {
            XCTAssertThrowsError(try SVGRaster.image(svg: bad), "accepted \(bad)")
        }
        XCTAssertThrowsError(try SVGRaster.image(svg: "<svg width=\"10\" height=\"10\"/>", scale: .nan))
        XCTAssertThrowsError(try SVGRaster.image(svg: "<svg width=\"10\" height=\"10\"/>", scale: -1))
        // Odd values: drawn or skipped, never fatal.
        let bodies = [
            "<rect x=\"-1e307\" y=\"-1e307\" width=\"1e308\" height=\"1e308\" fill=\"#000\"/>",
            "<rect x=\"NaN\" y=\"nan\" width=\"inf\" height=\"-5\" fill=\"#000\"/>",
            "<circle cx=\"5\" cy=\"5\" r=\"1e300\" fill=\"#000\"/>",
            "<circle cx=\"5\" cy=\"5\" r=\"1e-300\" fill=\"#000\" stroke=\"#000\" stroke-width=\"1e300\"/>",
            "<line x1=\"1e400\" y1=\"0\" x2=\"-1e308\" y2=\"1e308\" stroke=\"#000\" stroke-width=\"3\"/>",
            "<path d=\"M0 0 L1e308 1e308 L-1e308 5 Z M 1 2 3\" fill=\"#000\" stroke=\"#000\"/>",
            "<path d=\"M0 0 C 1 2 3 Q 4 L x y Z Z Z m1e308 -1e308 l 1e308 1e308 a 1 1 0 0 1 5 5 t 1 1 s 1 2 3 4\" stroke=\"#000\"/>",
            "<path d=\"M1.5.5.5-1e-3e4L--1 2\" stroke=\"#000\"/>",
            "<text font-size=\"1e300\">big</text><text font-size=\"-3\">neg</text><text font-size=\"nan\" x=\"nan\">x</text>",
            "<text x=\"5\" y=\"20\" transform=\"rotate(NaN) scale(1e308)\">t</text>",
            "<g transform=\"matrix(0 0 0 0 0 0)\"><rect width=\"10\" height=\"10\"/><text>zero</text></g>",
            "<g transform=\"scale(1e-300)\"><circle r=\"1\" stroke=\"#000\" stroke-width=\"1e300\"/></g>",
            "<line x1=\"0\" y1=\"5\" x2=\"1e6\" y2=\"5\" stroke=\"#000\" stroke-dasharray=\"1e-7 1e-7\"/>",
            "<line x1=\"0\" y1=\"5\" x2=\"30\" y2=\"5\" stroke=\"#000\" stroke-dasharray=\"0 0\"/>",
            "<line x1=\"0\" y1=\"5\" x2=\"30\" y2=\"5\" stroke=\"#000\" stroke-dasharray=\"-1 2\"/>",
            "<polygon points=\"1,2,3\" fill=\"#000\"/><polyline points=\"\" stroke=\"#000\"/>",
            "<rect width=\"10\" height=\"10\" fill=\"#12\" stroke=\"rgb(1,2\" style=\";;:;fill:\"/>",
            "<rect width=\"10\" height=\"10\" rx=\"1e308\" ry=\"-4\" fill=\"#000\"/>",
            "<text>&#xFFFFFFFF; &#0; &#55296; &bogus; &amp &#x;</text>",
            "<text x=\"1\" y=\"20\">\u{1F4A3} e\u{301}\u{301}\u{301} \u{202E}rtl</text>",
            "<g clip-path=\"url(#\"><rect width=\"5\" height=\"5\"/></g><clipPath id=\"x\"/><g clip-path=\"url(#x)\"><rect width=\"5\" height=\"5\"/></g>",
            "<rect width=10 height=10 fill=#000 /><rect width=\"5 height=\"5\"",
            "<!-- unterminated comment <rect width=\"5\" height=\"5\"/>",
            "<![CDATA[ <rect/> ]]><?pi ?><!DOCTYPE x><rect width=\"5\" height=\"5\"/></g></svg></svg>",
        ]
        for body in bodies {
            let image = try render(body)
            XCTAssertEqual(image.width, 40, body)
            XCTAssertEqual(image.pixels.count, 40 * 30 * 3, body)
        }
        // A huge coverage rectangle still fills the canvas.
        XCTAssertEqual(rgb(try render(bodies[0]), 20, 15), [0, 0, 0])
        // Deep nesting: elements below the depth limit are dropped, nothing overflows.
        let deep = String(repeating: "<g>", count: 100_000) + "<rect width=\"10\" height=\"10\"/>"
        XCTAssertNoThrow(try render(deep))
        let shallow = String(repeating: "<g>", count: 50) + "<rect width=\"10\" height=\"10\" fill=\"#000\"/>" + String(repeating: "</g>", count: 50)
        XCTAssertEqual(rgb(try render(shallow), 5, 5), [0, 0, 0])
        // Truncations of a real plot at many points.
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", series: [Series("a", x: [0, 1, 2], y: [1, 3, 2], markers: true)]).svg()
        let chars = Array(plot)
        for cut in stride(from: 0, to: chars.count, by: max(1, chars.count / 60)) {
            _ = try? SVGRaster.image(svg: String(chars[..<cut]), scale: 1)
        }
        // Random bytes.
        var g = SplitMix(seed: 7)
        for _ in 0..<30 {
            let bytes = (0..<2000).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            _ = try? SVGRaster.image(svg: "<svg width=\"20\" height=\"20\">" + String(decoding: bytes, as: UTF8.self), scale: 1)
        }
    }

    func testPNGOfARenderDecodesToTheSamePixels() throws {
        let image = try render("<circle cx=\"20\" cy=\"15\" r=\"8\" fill=\"#1f77b4\"/><text x=\"2\" y=\"28\" font-size=\"9\">ok</text>")
        XCTAssertEqual(try PNG.decode(PNG.encode(image)), image)
    }
}

/// A small deterministic generator for the random-bytes check.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
