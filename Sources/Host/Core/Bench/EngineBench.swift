import Foundation
import PluginAPI
import Kernels

/// The engine's micro-benchmarks (`host bench`): GEMM at square and skinny sizes, conv2d
/// forward and backward at the shapes the assignments use.
public enum EngineBench {
    /// One measured case.
    public struct Result {
        public var name: String
        public var shape: String
        public var threads: Int
        /// Median milliseconds per call.
        public var milliseconds: Double
        public var flops: Double
        public var gflops: Double { flops / (milliseconds * 1e6) }
    }

    /// A case: a name, its shape text, its floating-point operations, and a closure that
    /// prepares the inputs and returns the work to time.
    public struct Case {
        public var name: String
        public var shape: String
        public var flops: Double
        public var prepare: () -> () -> Void
    }

    /// All cases, in the order printed.
    public static func cases() -> [Case] {
        var all: [Case] = []
        for size in [512, 1024, 2048] { all.append(gemmCase(m: size, n: size, k: size)) }
        all.append(gemmCase(m: 16, n: 64, k: 64, label: "gemm skinny (batch 16 x 64 -> 64)"))
        all.append(gemmCase(m: 100, n: 300, k: 300, label: "gemm skinny (100 x 300 -> 300)"))
        all.append(gemmCase(m: 100, n: 100, k: 300, label: "gemm skinny (100 x 300 -> 100)"))
        all += ConvBench.cases()
        return all
    }

    static func gemmCase(m: Int, n: Int, k: Int, label: String? = nil) -> Case {
        Case(name: label ?? "gemm \(m)", shape: "\(m)x\(k) * \(k)x\(n)", flops: 2 * Double(m * n * k)) {
            var g = SeededGenerator(seed: 1)
            let a = Tensor.uniform([m, k], low: -1, high: 1, generator: &g)
            let b = Tensor.uniform([k, n], low: -1, high: 1, generator: &g)
            let c = Tensor.zeros([m, n])
            return {
                a.withUnsafeMutableBufferPointer { a in
                    b.withUnsafeMutableBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a.baseAddress.unsafelyUnwrapped, lda: k,
                                       b: b.baseAddress.unsafelyUnwrapped, ldb: n, c: c.baseAddress.unsafelyUnwrapped, ldc: n)
                        }
                    }
                }
            }
        }
    }

    /// Times `work`: one warm-up call, then calls until `seconds` pass (at least 3, at most
    /// 200), and returns the median in milliseconds.
    public static func time(seconds: Double = 0.6, _ work: () -> Void) -> Double {
        work()
        var samples: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while samples.count < 3 || (samples.count < 200 && Double(DispatchTime.now().uptimeNanoseconds - start) < seconds * 1e9) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            work()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// Runs the cases whose name contains `filter` (all when nil).
    public static func run(filter: String? = nil, seconds: Double = 0.6, report: (Result) -> Void) {
        for c in cases() where filter.map({ c.name.contains($0) }) ?? true {
            let work = c.prepare()
            let ms = time(seconds: seconds, work)
            report(Result(name: c.name, shape: c.shape, threads: WorkerPool.shared.threads, milliseconds: ms, flops: c.flops))
        }
    }
}

/// conv2d cases: forward, and forward + backward (gradients of input and weight).
enum ConvBench {
    static func cases() -> [EngineBench.Case] {
        [(128, 64, 32, 64, 1, "conv2d 3x3 64->64 (ResNet18 stage)"),
         (16, 16, 4, 16, 1, "conv2d 3x3 16->16 (digits block)"),
         (16, 1, 8, 16, 2, "conv2d 3x3 1->16 s2 (digits stem)")].flatMap { n, c, size, oc, stride, label in
            [convCase(n: n, c: c, size: size, oc: oc, stride: stride, backward: false, label: label + " fwd"),
             convCase(n: n, c: c, size: size, oc: oc, stride: stride, backward: true, label: label + " fwd+bwd")]
        }
    }

    static func convCase(n: Int, c: Int, size: Int, oc: Int, stride: Int, backward: Bool, label: String) -> EngineBench.Case {
        let out = (size + 2 - 3) / stride + 1
        let forwardFlops = 2 * Double(n * oc * out * out * c * 9)
        return EngineBench.Case(name: label, shape: "(\(n),\(c),\(size),\(size)) w(\(oc),\(c),3,3)",
                                flops: backward ? 3 * forwardFlops : forwardFlops) {
            var g = SeededGenerator(seed: 2)
            let x = Tensor.uniform([n, c, size, size], low: -1, high: 1, generator: &g, requiresGrad: backward)
            let w = Tensor.uniform([oc, c, 3, 3], low: -0.1, high: 0.1, generator: &g, requiresGrad: backward)
            let upstream = Tensor.uniform([n, oc, out, out], low: -1, high: 1, generator: &g)
            return {
                let y = conv2d(x, weight: w, stride: stride, padding: 1)
                if backward {
                    y.backward(upstream)
                    x.grad = nil; w.grad = nil
                }
            }
        }
    }
}
