import PluginAPI
import XCTest
import Kernels

/// The fast GEMM paths against the naive reference, on awkward shapes.
final class GEMMTests: XCTestCase {
    /// Fast against reference; `pad` widens every leading dimension past the matrix, so a
    /// path that confused a row length with a leading dimension reads the wrong elements.
    func check(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float = 1, beta: Float = 0, threads: Int = 2,
               pad: Int = 0, file: StaticString = #filePath, line: UInt = #line) {
        let (lda, ldb, ldc) = ((transA ? m : k) + pad, (transB ? k : n) + pad, n + pad)
        let a = random(transA ? [k, lda] : [m, lda], seed: UInt64(m * 7 + k))
        let b = random(transB ? [n, ldb] : [k, ldb], seed: UInt64(n * 13 + k))
        let c0 = random([m, ldc], seed: 99)
        let fast = c0.copy(), slow = c0.copy()
        withPointers([a, b, fast, slow]) { p in
            GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: p[0], lda: lda,
                       b: p[1], ldb: ldb, beta: beta, c: p[2], ldc: ldc, pool: WorkerPool(threads: threads))
            GEMM.reference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: p[0], lda: lda,
                           b: p[1], ldb: ldb, beta: beta, c: p[3], ldc: ldc)
        }
        // Float32 sums of k products of values in [-1, 1]: error grows like sqrt(k) eps. The
        // reference leaves C's padding columns alone, so the fast path must too.
        assertClose(fast.values, slow.values, atol: 1e-5 * Float(k + 1).squareRoot() * 4, rtol: 1e-4,
                    "m \(m) n \(n) k \(k) tA \(transA) tB \(transB) alpha \(alpha) beta \(beta) pad \(pad)", file: file, line: line)
    }

    func testAwkwardShapesAllTransposes() {
        let sizes = [1, 2, 5, 6, 7, 16, 17, 31, 97]
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<40 {
            let (m, n, k) = (sizes[Int(rng.next() % 9)], sizes[Int(rng.next() % 9)], sizes[Int(rng.next() % 9)])
            for tA in [false, true] { for tB in [false, true] { check(m: m, n: n, k: k, transA: tA, transB: tB) } }
        }
    }

    func testPackedPathAcrossBlockBoundaries() {
        // Larger than one KC (512), MC (144) and several NR panels, with ragged edges.
        check(m: 130, n: 67, k: 300, transA: false, transB: false)
        check(m: 245, n: 3100, k: 9, transA: true, transB: false)
        check(m: 61, n: 129, k: 513, transA: false, transB: true)
        check(m: 127, n: 255, k: 257, transA: true, transB: true, alpha: 0.5, beta: 2)
        check(m: 100, n: 300, k: 300, transA: false, transB: false, beta: 1)
    }

    func testPackedPathWithLeadingDimensionsWiderThanTheMatrix() {
        // A read in place (not transposed) and packed (transposed); wide (>= 16 B panels, one
        // pass per K block) and narrow (tiles split); more than one KC, MC and NC block.
        for tA in [false, true] {
            check(m: 301, n: 2_100, k: 520, transA: tA, transB: false, beta: 0.5, pad: 3)
            check(m: 97, n: 45, k: 530, transA: tA, transB: true, alpha: 2, pad: 5)
            check(m: 149, n: 260, k: 33, transA: tA, transB: true, threads: 3, pad: 1)
        }
    }

    func testZeroK() {
        check(m: 3, n: 4, k: 0, transA: false, transB: false, beta: 0.5)
    }

    func testResultsDoNotDependOnThreadCount() {
        let (m, n, k) = (150, 200, 300)
        let a = random([m, k], seed: 1), b = random([k, n], seed: 2)
        let one = Tensor.zeros([m, n]), four = Tensor.zeros([m, n])
        withPointers([a, b, one, four]) { p in
            GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: p[0], lda: k, b: p[1], ldb: n, c: p[2], ldc: n, pool: WorkerPool(threads: 1))
            GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: p[0], lda: k, b: p[1], ldb: n, c: p[3], ldc: n, pool: WorkerPool(threads: 4))
        }
        XCTAssertEqual(one.values, four.values)
    }
}

/// The unpacked kernels for wide linear layers, against the reference.
extension GEMMTests {
    func testLongDotAndFewRowsShapes() {
        // longDot: A (m x k) B^T, k long, ragged blocks and tiles (m odd, n not a multiple of 3).
        check(m: 36, n: 6, k: 9_000, transA: false, transB: true)
        check(m: 5, n: 7, k: 3_001, transA: false, transB: true, alpha: 0.5, beta: 1, threads: 1)
        // fewRows: m <= 6, short k, n with a ragged last strip; with transA (dW = g^T x) and beta.
        check(m: 6, n: 1_000, k: 36, transA: true, transB: false)
        check(m: 4, n: 517, k: 20, transA: false, transB: false, alpha: 2, beta: 0.5, threads: 1)
    }
}

/// The few-row paths (a linear layer on one to four inputs), against the reference.
extension GEMMTests {
    func testFewRowsDotAndStreamShapes() {
        // fewRowsDot: A (m x k) B^T for one to four rows (pairs and a single), k off the
        // two-vector steps, with leading dimensions wider than the matrices.
        for m in 1...4 { check(m: m, n: 1_024, k: 3_072, transA: false, transB: true) }
        check(m: 3, n: 100, k: 301, transA: false, transB: true, alpha: 0.5, beta: 1, pad: 3)
        check(m: 1, n: 17, k: 257, transA: false, transB: true, threads: 3, pad: 1)
        // fewRowsStream: A (m x k) B, k in blocks of 128 with a ragged last one.
        for m in 1...4 { check(m: m, n: 1_024, k: 3_072, transA: false, transB: false) }
        check(m: 3, n: 65, k: 600, transA: false, transB: false, alpha: 2, beta: 0.5, threads: 3, pad: 2)
    }

    func testFewRowsResultsDoNotDependOnThreadCount() {
        for transB in [false, true] {
            let (m, n, k) = (2, 300, 1_000)
            let a = random([m, k], seed: 1), b = random(transB ? [n, k] : [k, n], seed: 2)
            let one = Tensor.zeros([m, n]), three = Tensor.zeros([m, n])
            withPointers([a, b, one, three]) { p in
                for (c, threads) in [(p[2], 1), (p[3], 3)] {
                    GEMM.sgemm(transA: false, transB: transB, m: m, n: n, k: k, a: p[0], lda: k, b: p[1], ldb: transB ? k : n,
                               c: c, ldc: n, pool: WorkerPool(threads: threads))
                }
            }
            XCTAssertEqual(one.values, three.values, "transB \(transB)")
        }
    }
}
