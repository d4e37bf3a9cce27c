import Foundation
import PluginAPI

/// The embedded stand-in for CAFE (which cannot be shipped): cartoon faces in CAFE's exact
/// layout, 380 x 240 binary PGM files named `DDD_<letter>1.pgm`. Nine people, each showing the
/// six expressions: six people are training ids (second digit not 2 or 3), three are test ids.
/// The expression moves the mouth, brows and eyes; each person has their own face shape,
/// position and lighting, and every image has pixel noise.
public enum CafeGenerator {
    /// Person ids: the first six train, the last three test.
    public static let trainIDs = ["011", "045", "058", "064", "079", "096"], testIDs = ["021", "032", "125"]

    /// Writes the 54 images into `folder` (created if needed).
    public static func write(into folder: String, seed: UInt64 = 2565) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var generator = SeededGenerator(seed: seed)
        for id in trainIDs + testIDs {
            let person = Person(generator: &generator)
            for (label, emotion) in CafeData.emotions.enumerated() {
                let image = render(person: person, expression: label, generator: &generator)
                try PGM.write(image, to: (folder as NSString).appendingPathComponent("\(id)_\(emotion.letter)1.pgm"))
            }
        }
    }

    /// The stand-in's folder in the user's cache, generated on first use (into a temporary
    /// folder that is then renamed, so an interrupted generation leaves nothing half-written).
    public static func cachedFolder() throws -> String {
        let env = ProcessInfo.processInfo.environment
        // As the XDG spec says: an empty or relative XDG_CACHE_HOME is ignored (an empty one
        // once wrote into ./host/ of the current folder).
        let base = env["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? ((env["HOME"] ?? NSTemporaryDirectory()) as NSString).appendingPathComponent(".cache")
        let folder = ((base as NSString).appendingPathComponent("host") as NSString).appendingPathComponent("cafe-standin-v1")
        if FileManager.default.fileExists(atPath: folder) { return folder }
        let parent = (folder as NSString).deletingLastPathComponent
        let temporary = parent + "/.cafe-standin-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try write(into: temporary)
            try FileManager.default.moveItem(atPath: temporary, toPath: folder)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if FileManager.default.fileExists(atPath: folder) { return folder }   // another process made it first
            throw PluginError.failure("cannot write the CAFE stand-in to \(folder): \(error.localizedDescription)",
                                      hint: "set XDG_CACHE_HOME to a writable folder, or give --cafe-dir")
        }
        return folder
    }

    /// What stays the same across one person's six images.
    struct Person {
        var centerX, centerY, radiusX, radiusY, skin, background, light, eyeGap, mouthWidth: Double
        init(generator g: inout SeededGenerator) {
            func u(_ a: Double, _ b: Double) -> Double { a + (b - a) * g.nextDouble() }
            centerX = u(108, 132); centerY = u(180, 200); radiusX = u(80, 96); radiusY = u(118, 138)
            skin = u(0.62, 0.82); background = u(0.15, 0.35); light = u(-0.15, 0.15)
            eyeGap = u(0.34, 0.42); mouthWidth = u(0.36, 0.48)
        }
    }

    /// Draws one face: expression 0 anger, 1 disgusted, 2 happy, 3 maudlin, 4 fear, 5 surprise.
    static func render(person p: Person, expression e: Int, generator g: inout SeededGenerator) -> GrayImage {
        let (rows, columns) = (CafeData.rows, CafeData.columns)
        // Expression parameters: brow height and slant (inner end lower when positive), eye
        // height, mouth curvature (positive = smile), mouth opening and tilt.
        let browLift: [Double] = [-4, -6, 2, 6, 14, 20], browSlant: [Double] = [14, 6, 0, -12, -8, 0]
        let eyeHeight: [Double] = [5, 7, 8, 8, 14, 15], smile: [Double] = [-6, -4, 18, -16, -4, 0]
        let opening: [Double] = [0, 0, 3, 0, 12, 26], tilt: [Double] = [0, 10, 0, 0, 0, 0]
        var samples = [UInt16](repeating: 0, count: rows * columns)
        let eyeY = p.centerY - 0.22 * p.radiusY, mouthY = p.centerY + 0.5 * p.radiusY
        let halfMouth = p.mouthWidth * p.radiusX
        for y in 0..<rows {
            for x in 0..<columns {
                let (fx, fy) = (Double(x), Double(y))
                let dx = (fx - p.centerX) / p.radiusX, dy = (fy - p.centerY) / p.radiusY
                let shade = p.light * (fx - 120) / 120
                var v = dx * dx + dy * dy <= 1 ? p.skin + shade : p.background + shade * 0.5
                if dx * dx + dy * dy <= 1 {
                    for side in [-1.0, 1.0] {
                        let ex = p.centerX + side * p.eyeGap * p.radiusX
                        // Eye: an ellipse whose height is the expression's.
                        let ux = (fx - ex) / 16, uy = (fy - eyeY) / eyeHeight[e]
                        if ux * ux + uy * uy <= 1 { v = ux * ux + uy * uy < 0.3 ? 0.05 : 0.92 }
                        // Brow: a thick segment above the eye, its inner end moved by the slant.
                        let t = (fx - ex) / 22 * side   // -1 at the inner end, +1 at the outer end
                        if abs(t) <= 1 {
                            let browY = eyeY - 26 - browLift[e] + browSlant[e] * (1 - t) / 2
                            if abs(fy - browY) < 3.5 { v = 0.12 }
                        }
                    }
                    // Nose.
                    if abs(fx - p.centerX) < 2.5 && fy > eyeY + 10 && fy < mouthY - 28 { v -= 0.2 }
                    // Mouth: a parabola (smile or frown), opened into a dark ellipse for fear and surprise.
                    let m = (fx - p.centerX) / halfMouth
                    if abs(m) <= 1 {
                        let curve = mouthY - smile[e] * (m * m - 0.5) + tilt[e] * m
                        if abs(fy - curve) < 3 { v = 0.1 }
                        if opening[e] > 0 {
                            let oy = (fy - mouthY) / opening[e], ox = m * 1.6
                            if ox * ox + oy * oy <= 1 { v = 0.08 }
                        }
                    }
                }
                v += 0.04 * (g.nextDouble() - 0.5) * 2
                samples[y * columns + x] = UInt16((min(max(v, 0), 1) * 255).rounded())
            }
        }
        return GrayImage(width: columns, height: rows, samples: samples, maxValue: 255)
    }
}
