import Foundation
import PluginAPI
import XCTest
import Kernels

/// Every kernel set this CPU runs, called directly (not through `KernelSet.active`), against the
/// naive references; and the choice of set from sample /proc/cpuinfo texts.
final class KernelTests: XCTestCase {
    /// The sets to check: those this CPU runs (AVX-512 is skipped on a CPU without it).
    var sets: [(KernelSet, any KernelSetImplementation.Type)] {
        KernelSet.supported(by: .current).compactMap { set in set.compiled.map { (set, $0) } }
    }

    func checkGEMM(_ kernels: any KernelSetImplementation.Type, m: Int, n: Int, k: Int, transA: Bool, transB: Bool,
                   alpha: Float = 1, beta: Float = 0, pad: Int = 0, threads: Int = 2, file: StaticString = #filePath, line: UInt = #line) {
        let (lda, ldb, ldc) = ((transA ? m : k) + pad, (transB ? k : n) + pad, n + pad)
        let a = random(transA ? [k, lda] : [m, lda], seed: UInt64(m * 7 + k))
        let b = random(transB ? [n, ldb] : [k, ldb], seed: UInt64(n * 13 + k))
        let c0 = random([m, ldc], seed: 99)
        let fast = c0.copy(), slow = c0.copy()
        withPointers([a, b, fast, slow]) { p in
            kernels.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: p[0], lda: lda, b: p[1], ldb: ldb,
                          beta: beta, c: p[2], ldc: ldc, pool: WorkerPool(threads: threads))
            GEMM.reference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: p[0], lda: lda,
                           b: p[1], ldb: ldb, beta: beta, c: p[3], ldc: ldc)
        }
        assertClose(fast.values, slow.values, atol: 1e-5 * Float(k + 1).squareRoot() * 4, rtol: 1e-4,
                    "\(kernels.name): m \(m) n \(n) k \(k) tA \(transA) tB \(transB) alpha \(alpha) beta \(beta) pad \(pad)",
                    file: file, line: line)
    }

    func testEverySetsGEMMMatchesTheReference() {
        XCTAssertFalse(sets.isEmpty)
        for (_, kernels) in sets {
            // Square (packed), skinny (the thin paths: longDot, fewRows), awkward edges, and
            // sizes past one kc (256 on AVX-512, 512 otherwise) and one mc.
            let shapes: [(Int, Int, Int)] = [(64, 64, 64), (130, 67, 300), (61, 129, 513), (127, 255, 257), (200, 40, 700),
                                             (4, 3000, 100), (6, 512, 256), (3, 10, 4096), (1, 1, 1), (7, 33, 5), (97, 31, 17)]
            for (m, n, k) in shapes {
                for tA in [false, true] { for tB in [false, true] { checkGEMM(kernels, m: m, n: n, k: k, transA: tA, transB: tB) } }
            }
            checkGEMM(kernels, m: 127, n: 255, k: 257, transA: true, transB: true, alpha: 0.5, beta: 2, pad: 3)
            checkGEMM(kernels, m: 100, n: 300, k: 300, transA: false, transB: false, beta: 1, pad: 5)
            checkGEMM(kernels, m: 2, n: 5, k: 3000, transA: false, transB: true, alpha: -1.5, beta: 0.25)
            checkGEMM(kernels, m: 300, n: 300, k: 300, transA: false, transB: false, threads: 1)
        }
    }

    func testEverySetsPanelProductIsSixteenColumnsWide() {
        let kc = 37
        let a = random([kc * 6], seed: 1), b = random([kc * 16], seed: 2)
        var expected = [Float](repeating: 0, count: 6 * 20)
        for i in 0..<6 { for j in 0..<16 { for p in 0..<kc { expected[i * 20 + j] += a.values[p * 6 + i] * b.values[p * 16 + j] } } }
        for (_, kernels) in sets {
            for rows in [6, 4] {
                var c = [Float](repeating: 7, count: 6 * 20)
                c.withUnsafeMutableBufferPointer { c in
                    withPointers([a, b]) { p in
                        if rows == 6 {
                            kernels.panelProduct6x16(kc: kc, a: p[0], b: p[1], c: c.baseAddress!, ldc: 20)
                        } else {
                            kernels.panelProduct6x16(kc: kc, a: p[0], b: p[1], c: c.baseAddress!, ldc: 20, rows: rows)
                        }
                    }
                }
                // Stored: the first `rows` rows' 16 columns; untouched: columns 16..<20 and later rows.
                let want = (0..<(6 * 20)).map { i in i / 20 < rows && i % 20 < 16 ? expected[i] : 7 }
                assertClose(c, want, atol: 1e-5, rtol: 1e-5, "\(kernels.name) rows \(rows)")
            }
        }
    }

    func testEverySetsPanelProductsRunDownAColumnOfPanels() {
        // 17 rows: three 6-row panels of A, the last read in full but stored for 5 rows.
        let (kc, rows, ldc) = (23, 17, 21)
        let a = random([3 * 6 * kc], seed: 4).values, b = random([kc * 16], seed: 5).values
        var expected = [Float](repeating: 3, count: 18 * ldc)
        for i in 0..<rows {
            for j in 0..<16 {
                let (panel, row) = (i / 6, i % 6)
                expected[i * ldc + j] = (0..<kc).reduce(Float(0)) { $0 + a[panel * 6 * kc + $1 * 6 + row] * b[$1 * 16 + j] }
            }
        }
        for (_, kernels) in sets {
            var c = [Float](repeating: 3, count: 18 * ldc)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer {
                        kernels.panelProducts6x16(kc: kc, a: ap.baseAddress!, rows: rows, b: bp.baseAddress!, c: $0.baseAddress!, ldc: ldc)
                    }
                }
            }
            assertClose(c, expected, atol: 1e-5, rtol: 1e-5, kernels.name)
        }
    }

    func testEverySetsVectorKernelsMatchTheScalarLoops() {
        for count in [0, 1, 7, 8, 15, 16, 17, 31, 33, 64, 100, 1000] {
            let x = random([max(count, 1)], seed: UInt64(count) + 3), y = random([max(count, 1)], seed: UInt64(count) + 4)
            let xs = x.values.map { $0 * 8 }, ys = y.values
            var dotRef = 0.0
            for i in 0..<count { dotRef += Double(xs[i]) * Double(ys[i]) }
            for (_, kernels) in sets {
                xs.withUnsafeBufferPointer { xp in
                    ys.withUnsafeBufferPointer { yp in
                        let (xp, yp) = (xp.baseAddress!, yp.baseAddress!)
                        XCTAssertEqual(Double(kernels.dot(xp, yp, count: count)), dotRef, accuracy: 1e-4 * Double(count + 1), "\(kernels.name) dot \(count)")
                        var axpy = ys
                        axpy.withUnsafeMutableBufferPointer { kernels.axpy(0.75, xp, $0.baseAddress!, count: count) }
                        assertClose(axpy, (0..<ys.count).map { $0 < count ? ys[$0] + 0.75 * xs[$0] : ys[$0] }, "\(kernels.name) axpy \(count)")
                        var silu = [Float](repeating: 0, count: max(count, 1))
                        silu.withUnsafeMutableBufferPointer { kernels.silu(xp, into: $0.baseAddress!, count: count) }
                        let siluRef = (0..<count).map { xs[$0] * sigmoidScalar(xs[$0]) }
                        assertClose(Array(silu.prefix(count)), siluRef, atol: 1e-6, rtol: 1e-5, "\(kernels.name) silu \(count)")
                        var grad = [Float](repeating: 0, count: max(count, 1))
                        grad.withUnsafeMutableBufferPointer { kernels.siluBackward(yp, xp, into: $0.baseAddress!, count: count) }
                        let gradRef = (0..<count).map { i -> Float in
                            let s = sigmoidScalar(xs[i]); return ys[i] * s * (1 + xs[i] * (1 - s))
                        }
                        assertClose(Array(grad.prefix(count)), gradRef, atol: 1e-6, rtol: 1e-5, "\(kernels.name) siluBackward \(count)")
                    }
                }
            }
        }
    }

    func testEverySetsReLUKernelsMatchTheScalarLoops() {
        for count in [0, 1, 7, 8, 15, 16, 17, 33, 300] {
            var x = random([max(count, 1)], seed: 31).values.prefix(count).map { $0 }
            if count > 3 { x[1] = .nan; x[2] = 0; x[3] = -0.0 }
            let dy = random([max(count, 1)], seed: 32).values.prefix(count).map { $0 }
            let forward = x.map { $0 < 0 ? 0 : $0 }
            let backward = (0..<count).map { forward[$0] > 0 ? dy[$0] : 0 }
            for (_, kernels) in sets {
                var out = [Float](repeating: 7, count: count), dx = [Float](repeating: 7, count: count)
                x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { o in
                    if let xb = xp.baseAddress, let ob = o.baseAddress { kernels.relu(xb, into: ob, count: count) }
                } }
                dy.withUnsafeBufferPointer { g in forward.withUnsafeBufferPointer { y in dx.withUnsafeMutableBufferPointer { d in
                    if let gb = g.baseAddress, let yb = y.baseAddress, let db = d.baseAddress { kernels.reluBackward(gb, yb, into: db, count: count) }
                } } }
                XCTAssertEqual(out.map(\.bitPattern), forward.map(\.bitPattern), "\(kernels.name) relu \(count)")
                XCTAssertEqual(dx, backward, "\(kernels.name) reluBackward \(count)")
            }
        }
    }

    func testEverySetsBitInputKernelsMatchTheScalarLoops() {
        // Row lengths around the 32- and 8-float blocks, with and without a start row.
        let rows = 9
        for length in [1, 7, 8, 31, 32, 33, 40, 63, 64, 65, 300] {
            let matrix = random([rows, length], seed: 8).values
            let picks: [Int32] = [0, 3, 4, 8, 8]
            let start = random([length], seed: 9).values
            for useStart in [false, true] {
                var reference = useStart ? start : [Float](repeating: 0, count: length)
                for r in picks { for i in 0..<length { reference[i] += matrix[Int(r) * length + i] } }
                for (_, kernels) in sets {
                    var got = [Float](repeating: .nan, count: length)
                    matrix.withUnsafeBufferPointer { m in picks.withUnsafeBufferPointer { p in start.withUnsafeBufferPointer { s in
                        got.withUnsafeMutableBufferPointer { out in
                            kernels.sumRows(m.baseAddress!, stride: length, indices: p.baseAddress!, count: picks.count,
                                            start: useStart ? s.baseAddress! : nil, into: out.baseAddress!, length: length)
                        }
                    } } }
                    XCTAssertEqual(got, reference, "\(kernels.name) sumRows length \(length) start \(useStart)")
                }
            }
        }
        for (rows, cols) in [(1, 1), (3, 17), (16, 16), (33, 40), (300, 30)] {
            let source = random([rows, cols], seed: 12).values
            let reference = (0..<rows * cols).map { source[($0 % rows) * cols + $0 / rows] }
            for (_, kernels) in sets {
                var got = [Float](repeating: .nan, count: rows * cols)
                source.withUnsafeBufferPointer { s in got.withUnsafeMutableBufferPointer { kernels.transpose(s.baseAddress!, rows: rows, cols: cols, into: $0.baseAddress!) } }
                XCTAssertEqual(got, reference, "\(kernels.name) transpose \(rows)x\(cols)")
            }
        }
        for values in [[Float](), [0], [0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 2], [-0.0, 0, 1e-30], [Float](repeating: 0, count: 300)] {
            for (_, kernels) in sets {
                let zero = values.withUnsafeBufferPointer { kernels.allZero($0.baseAddress ?? UnsafePointer(bitPattern: 64)!, count: values.count) }
                XCTAssertEqual(zero, values.allSatisfy { $0 == 0 }, "\(kernels.name) allZero \(values.count)")
            }
        }
        for (values, expected) in [([Float]([0, 1, 1, 0, 1]), [0, 1, 1, 0, 1]), ([0, 0, 0], [0, 0, 0]), ([1, 0.5, 0], nil), ([2], nil), ([-1, 0], nil)] {
            for (_, kernels) in sets {
                var indices = [Int32](repeating: -7, count: values.count)
                let found = values.withUnsafeBufferPointer { v in indices.withUnsafeMutableBufferPointer { kernels.bitIndices(v.baseAddress!, count: values.count, into: $0.baseAddress!) } }
                if let expected {
                    let ones = expected.enumerated().filter { $0.element == 1 }.map { Int32($0.offset) }
                    XCTAssertEqual(found, ones.count, "\(kernels.name) \(values)")
                    XCTAssertEqual(Array(indices.prefix(max(found, 0))), ones, "\(kernels.name) \(values)")
                } else {
                    XCTAssertEqual(found, -1, "\(kernels.name) \(values) is not bits")
                }
            }
        }
    }

    // MARK: choosing a set

    static let xeon = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
        cpu MHz\t\t: 2900.000
        flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512cd avx512bw avx512vl

        processor\t: 1
        model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
        cpu MHz\t\t: 3500.000
        flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512cd avx512bw avx512vl
        """
    static let epyc = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        model name\t: AMD EPYC 7B12
        cpu MHz\t\t: 2250.000
        flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 sha_ni
        """
    /// This machine's kind: Zen 4 with AVX-512 run as two 256-bit halves.
    static let genoa = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        cpu family\t: 25
        model\t\t: 17
        model name\t: AMD EPYC
        cpu MHz\t\t: 2596.000
        flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16
        """
    static let old = """
        processor\t: 0
        model name\t: Intel(R) Core(TM) i7 CPU 920 @ 2.67GHz
        cpu MHz\t\t: 2668.000
        flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt
        """
    static let graviton = """
        processor\t: 0
        BogoMIPS\t: 243.75
        Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
        CPU implementer\t: 0x41
        CPU part\t: 0xd0c

        processor\t: 1
        Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
        CPU part\t: 0xd0c
        """

    func testCPUInfoIsParsedIntoModelFlagsCoresAndClock() {
        let xeon = CPUFeatures.parse(cpuinfo: Self.xeon)
        XCTAssertEqual(xeon.architecture, .x86_64)
        XCTAssertEqual(xeon.modelName, "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz")
        XCTAssertEqual(xeon.logicalCores, 2)
        XCTAssertEqual(xeon.maxClockMHz, 3500, "the largest cpu MHz")
        XCTAssertTrue(xeon.has("avx512f", "avx512bw", "avx512vl", "fma", "avx2"))
        XCTAssertEqual(CPUFeatures.parse(cpuinfo: Self.xeon, maxFrequencyKHz: "3900000\n").maxClockMHz, 3900, "cpufreq wins")
        let arm = CPUFeatures.parse(cpuinfo: Self.graviton)
        XCTAssertEqual(arm.architecture, .aarch64)
        XCTAssertEqual(arm.modelName, "ARM CPU part 0xd0c (implementer 0x41)")
        XCTAssertTrue(arm.has("asimd", "fphp"))
        XCTAssertEqual(arm.logicalCores, 2)
        XCTAssertNil(arm.maxClockMHz)
        // Peak = threads x lanes x 2 pipes x 2 x GHz.
        XCTAssertEqual(try XCTUnwrap(CPUFeatures.parse(cpuinfo: Self.epyc).peakGFLOPS(.avx2, threads: 2)), 2 * 8 * 2 * 2 * 2.25, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(CPUFeatures.parse(cpuinfo: Self.epyc).peakGFLOPS(.generic, threads: 1)), 4 * 2 * 2 * 2.25, accuracy: 1e-9)
        // A measured clock replaces the reported one; Zen 4 counts one 512-bit pipe (two halves),
        // so its AVX-512 peak equals its AVX2 peak, while the Xeon's AVX-512 peak is twice.
        let genoa = CPUFeatures.parse(cpuinfo: Self.genoa)
        XCTAssertEqual(try XCTUnwrap(genoa.peakGFLOPS(KernelSet.avx2, threads: 1, clockMHz: 3500)), 8 * 2 * 2 * 3.5, accuracy: 1e-9)
        XCTAssertEqual(genoa.peakGFLOPS(KernelSet.avx512, threads: 1, clockMHz: 3500), genoa.peakGFLOPS(KernelSet.avx2, threads: 1, clockMHz: 3500))
        XCTAssertEqual(try XCTUnwrap(xeon.peakGFLOPS(KernelSet.avx512, threads: 1)), 2 * (try XCTUnwrap(xeon.peakGFLOPS(KernelSet.avx2, threads: 1))), accuracy: 1e-9)
    }

    /// The clock probe's chain computes what its scalar definition says (so the compiler cannot
    /// have folded it away), and a measurement is a positive number of MHz.
    func testTheClockProbesChainIsTheDependentSequence() {
        var x: UInt64 = 7
        for _ in 0..<(16 * 8) { x = (x &+ 7) ^ 3 }
        XCTAssertEqual(ClockProbe.dependentChain(16, 7, 3), x)
        XCTAssertGreaterThan(ClockProbe.measureMHz(threads: 2, rounds: 1), 0)
    }

    func testTheWidestSupportedSetIsChosen() throws {
        #if arch(x86_64)
        XCTAssertEqual(try KernelSet.select(requested: nil, cpu: .parse(cpuinfo: Self.xeon)).get(), .avx512)
        XCTAssertEqual(try KernelSet.select(requested: nil, cpu: .parse(cpuinfo: Self.epyc)).get(), .avx2)
        XCTAssertEqual(try KernelSet.select(requested: "", cpu: .parse(cpuinfo: Self.epyc)).get(), .avx2)
        XCTAssertEqual(KernelSet.supported(by: .parse(cpuinfo: Self.epyc)), [.generic, .avx2])
        #endif
        XCTAssertEqual(try KernelSet.select(requested: nil, cpu: .parse(cpuinfo: Self.old)).get(), .generic)
        // Zen 4 runs AVX-512 but splits it: AVX2 by default, AVX-512 when asked for.
        let genoa = CPUFeatures.parse(cpuinfo: Self.genoa)
        XCTAssertEqual(KernelSet.supported(by: genoa), [.generic, .avx2, .avx512])
        XCTAssertTrue(genoa.splitsAVX512)
        XCTAssertFalse(CPUFeatures.parse(cpuinfo: Self.xeon).splitsAVX512)
        XCTAssertEqual(try KernelSet.select(requested: nil, cpu: genoa).get(), .avx2)
        XCTAssertEqual(try KernelSet.select(requested: "avx512", cpu: genoa).get(), .avx512)
        XCTAssertEqual(try KernelSet.select(requested: nil, cpu: .parse(cpuinfo: Self.graviton)).get(), .generic)
        // AVX-512 flags on an aarch64 text would still not choose an x86 set.
        XCTAssertEqual(KernelSet.supported(by: .parse(cpuinfo: Self.graviton)), [.generic])
    }

    func testAForcedSetIsUsedOnlyWhenTheCPURunsIt() throws {
        #if arch(x86_64)
        let epyc = CPUFeatures.parse(cpuinfo: Self.epyc)
        XCTAssertEqual(try KernelSet.select(requested: "generic", cpu: epyc).get(), .generic)
        XCTAssertEqual(try KernelSet.select(requested: "AVX2", cpu: epyc).get(), .avx2)
        XCTAssertEqual(try KernelSet.select(requested: "avx2", cpu: .parse(cpuinfo: Self.xeon)).get(), .avx2)
        guard case .failure(let refused) = KernelSet.select(requested: "avx512", cpu: epyc) else { return XCTFail("avx512 on an EPYC 7B12") }
        XCTAssertEqual(refused.message, "HOST_KERNELS=avx512: this CPU lacks avx512f, avx512bw, avx512vl, which the avx512 kernels need")
        XCTAssertEqual(refused.hint, "this CPU (AMD EPYC 7B12) runs generic, avx2; set HOST_KERNELS to one of them or unset it to use the widest")
        guard case .failure(let old) = KernelSet.select(requested: "avx2", cpu: .parse(cpuinfo: Self.old)) else { return XCTFail("avx2 on SSE4.2") }
        XCTAssertTrue(old.message.contains("lacks avx2, fma"), old.message)
        XCTAssertTrue(old.hint.contains("runs generic;"), old.hint)
        #endif
        guard case .failure(let unknown) = KernelSet.select(requested: "neon", cpu: .parse(cpuinfo: Self.graviton)) else { return XCTFail("neon") }
        XCTAssertEqual(unknown.message, "HOST_KERNELS=neon is not a kernel set (generic, avx2, avx512)")
        XCTAssertFalse(unknown.message.contains("\n"))
    }
}
