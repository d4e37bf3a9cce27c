import PluginAPI
import XCTest
import Kernels

/// conv2d (im2col + GEMM) against direct loops, forward and backward, on awkward shapes.
final class ConvTests: XCTestCase {
    /// The definition: out[n,o,y,x] = b[o] + sum_{c,i,j} w[o,c,i,j] x[n,c,y s - p + i d, x s - p + j d].
    func naive(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride s: Int, padding p: Int, dilation d: Int) -> [Float] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oc, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * p - d * (kh - 1) - 1) / s + 1, ow = (wd + 2 * p - d * (kw - 1) - 1) / s + 1
        var out = [Float](repeating: 0, count: n * oc * oh * ow)
        for img in 0..<n { for o in 0..<oc { for y in 0..<oh { for xo in 0..<ow {
            var sum = Double(b?[flat: o] ?? 0)
            for ch in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let (sy, sx) = (y * s - p + i * d, xo * s - p + j * d)
                if sy >= 0 && sy < h && sx >= 0 && sx < wd {
                    sum += Double(w[flat: ((o * c + ch) * kh + i) * kw + j]) * Double(x[flat: ((img * c + ch) * h + sy) * wd + sx])
                }
            } } }
            out[((img * oc + o) * oh + y) * ow + xo] = Float(sum)
        } } } }
        return out
    }

    func check(n: Int, c: Int, h: Int, w: Int, oc: Int, k: Int, stride: Int, padding: Int, dilation: Int, bias: Bool,
               algorithm: ConvAlgorithm = .automatic, file: StaticString = #filePath, line: UInt = #line) {
        let label = "n\(n) c\(c) \(h)x\(w) oc\(oc) k\(k) s\(stride) p\(padding) d\(dilation) b\(bias) \(algorithm)"
        let x = random([n, c, h, w], seed: 1, requiresGrad: true)
        let weight = random([oc, c, k, k], seed: 2, requiresGrad: true)
        let b = bias ? random([oc], seed: 3, requiresGrad: true) : nil
        let out = conv2d(x, weight: weight, bias: b, stride: stride, padding: padding, dilation: dilation, algorithm: algorithm)
        assertClose(out.values, naive(x, weight, b, stride: stride, padding: padding, dilation: dilation), "forward " + label, file: file, line: line)
        // Gradients of sum(out * u) are the adjoints: check them against the naive forward
        // through the identity <conv(x), u> = <x, conv^T(u)>, by finite directions.
        let u = random(out.shape, seed: 4)
        (out * u).sum().backward()
        func loss(_ xv: Tensor, _ wv: Tensor) -> Double {
            zip(naive(xv, wv, b, stride: stride, padding: padding, dilation: dilation), u.values).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        // The loss is linear in x and in w, so a unit step in a direction gives the exact
        // directional derivative.
        let dirX = random(x.shape, seed: 5), dirW = random(weight.shape, seed: 6)
        let xPlus = Tensor(zip(x.values, dirX.values).map(+), shape: x.shape)
        let wPlus = Tensor(zip(weight.values, dirW.values).map(+), shape: weight.shape)
        let expectedX = loss(xPlus, weight) - loss(x, weight), expectedW = loss(x, wPlus) - loss(x, weight)
        let gotX = zip(x.grad?.values ?? [], dirX.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let gotW = zip(weight.grad?.values ?? [], dirW.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(gotX, expectedX, accuracy: 1e-3 * max(1, abs(expectedX)), "grad x " + label, file: file, line: line)
        XCTAssertEqual(gotW, expectedW, accuracy: 1e-3 * max(1, abs(expectedW)), "grad w " + label, file: file, line: line)
        if let b {
            let plane = out.count / (n * oc), upstream = u.values
            let perChannel = (0..<oc).map { o in
                (0..<n).reduce(Float(0)) { acc, img in acc + upstream[(img * oc + o) * plane..<(img * oc + o + 1) * plane].reduce(0, +) }
            }
            assertClose(b.grad?.values ?? [], perChannel, atol: 1e-4, "grad b " + label, file: file, line: line)
        }
    }

    func testAwkwardShapes() {
        check(n: 1, c: 1, h: 1, w: 1, oc: 1, k: 1, stride: 1, padding: 0, dilation: 1, bias: true)
        check(n: 2, c: 3, h: 9, w: 8, oc: 4, k: 3, stride: 1, padding: 1, dilation: 1, bias: false)
        check(n: 3, c: 7, h: 5, w: 7, oc: 5, k: 3, stride: 2, padding: 2, dilation: 2, bias: true)
        check(n: 2, c: 2, h: 11, w: 13, oc: 3, k: 5, stride: 3, padding: 1, dilation: 1, bias: true)
        check(n: 4, c: 1, h: 8, w: 8, oc: 16, k: 3, stride: 2, padding: 1, dilation: 1, bias: false)
        check(n: 1, c: 2, h: 3, w: 3, oc: 2, k: 3, stride: 1, padding: 4, dilation: 1, bias: true)
    }

    func testWinogradOnAwkwardShapes() {
        // Odd output sizes (a half tile at the edge), maps narrower than one 8-tile vector and
        // wider than two, channel counts off the vector width, padding 0, 1 and 2.
        for (n, c, h, w, oc, padding) in [(1, 1, 3, 3, 1, 0), (2, 3, 5, 7, 4, 1), (3, 5, 9, 4, 2, 2), (2, 17, 33, 35, 19, 1),
                                          (1, 2, 4, 4, 3, 0), (2, 16, 4, 4, 16, 1), (1, 4, 1, 1, 3, 1), (1, 3, 2, 40, 2, 2)] {
            check(n: n, c: c, h: h, w: w, oc: oc, k: 3, stride: 1, padding: padding, dilation: 1, bias: n % 2 == 0, algorithm: .winograd)
        }
    }

    func testWinogradSpansSeveralGroups() {
        // 6 images of 256 x 250: the transformed tiles exceed one group's 8 MB (4 images), so
        // this crosses groups and the weight gradient sums over them.
        check(n: 6, c: 2, h: 256, w: 250, oc: 3, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, algorithm: .winograd)
    }

    func testForcedIm2colOnWinogradShapes() {
        check(n: 2, c: 16, h: 8, w: 8, oc: 16, k: 3, stride: 1, padding: 1, dilation: 1, bias: true, algorithm: .im2col)
    }

    func testWinogradAgreesWithIm2col() {
        // Same inputs through both paths, forward and both gradients, on a ResNet-like shape.
        let x = random([4, 32, 12, 12], seed: 7), weight = random([48, 32, 3, 3], seed: 8)
        let u = random([4, 48, 12, 12], seed: 9)
        func run(_ algorithm: ConvAlgorithm) -> (out: [Float], dx: [Float], dw: [Float]) {
            let (xv, wv) = (Tensor(x.values, shape: x.shape, requiresGrad: true), Tensor(weight.values, shape: weight.shape, requiresGrad: true))
            let out = conv2d(xv, weight: wv, padding: 1, algorithm: algorithm)
            (out * u).sum().backward()
            return (out.values, xv.grad?.values ?? [], wv.grad?.values ?? [])
        }
        let (fast, direct) = (run(.winograd), run(.im2col))
        XCTAssertFalse(fast.dx.isEmpty || fast.dw.isEmpty)
        assertClose(fast.out, direct.out, atol: 1e-4, "forward")
        assertClose(fast.dx, direct.dx, atol: 1e-4, "input gradient")
        assertClose(fast.dw, direct.dw, atol: 1e-3, rtol: 1e-4, "weight gradient")
    }

    func testManyImagesSpanSeveralGroups() {
        // 40 images of 16 x 16 with 8 channels: more than one im2col group.
        check(n: 40, c: 8, h: 16, w: 16, oc: 6, k: 3, stride: 1, padding: 1, dilation: 1, bias: true)
    }

    func testDilatedKernelExample() {
        // The review sheet: 2x2 ones kernel, dilation 2, over 1..9 in 3x3 gives 1 + 3 + 7 + 9 = 20.
        let x = Tensor((1...9).map(Float.init), shape: [1, 1, 3, 3])
        let out = conv2d(x, weight: Tensor.ones([1, 1, 2, 2]), dilation: 2)
        XCTAssertEqual(out.shape, [1, 1, 1, 1])
        XCTAssertEqual(out.item, 20)
    }

    func testOutputSizeRoundsDownAndIsZeroWhereTheKernelDoesNotFit() {
        // floor((2 - 3) / 2) + 1 = 0: plain integer division would give 1, a window past the input.
        XCTAssertEqual(ConvGeometry.outputSize(2, kernel: 3, stride: 2, padding: 0, dilation: 1), 0)
        XCTAssertEqual(ConvGeometry.outputSize(1, kernel: 2, stride: 2, padding: 0, dilation: 1), 0)
        XCTAssertEqual(ConvGeometry.outputSize(28, kernel: 3, stride: 1, padding: 1, dilation: 1), 28)
        XCTAssertEqual(ConvGeometry.outputSize(28, kernel: 3, stride: 2, padding: 0, dilation: 1), 13)
        XCTAssertEqual(ConvGeometry.outputSize(7, kernel: 3, stride: 1, padding: 0, dilation: 3), 1)
        XCTAssertEqual(ConvGeometry.outputSize(6, kernel: 3, stride: 1, padding: 0, dilation: 3), 0)
        XCTAssertEqual(ConvGeometry.outputSize(8, kernel: 3, stride: 0, padding: 0, dilation: 1), 0, "stride 0 is refused, not a division by zero")
        XCTAssertEqual(ConvGeometry.outputSize(8, kernel: 3, stride: 1, padding: -1, dilation: 1), 0)
        for size in 1...12 { for kernel in 1...5 { for stride in 1...3 { for padding in 0...2 {
            let span = size + 2 * padding - kernel
            let expected = span < 0 ? 0 : Int((Double(span) / Double(stride)).rounded(.down)) + 1
            XCTAssertEqual(ConvGeometry.outputSize(size, kernel: kernel, stride: stride, padding: padding, dilation: 1), expected)
        } } } }
    }
}
