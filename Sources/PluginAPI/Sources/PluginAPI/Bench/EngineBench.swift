import Foundation

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
                GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, c: c.data, ldc: n)
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

/// conv2d cases; filled in by the convolution kernels.
enum ConvBench {
    static func cases() -> [EngineBench.Case] { [] }
}
