import Foundation
import KernelSupport

/// The clock the cores actually run at under load, measured: /proc/cpuinfo's `cpu MHz` is the
/// base clock on virtual machines without cpufreq (2,596 MHz on the AMD EPYC of this kind, which
/// runs its loops at about 3,550), so a peak computed from it reads low and GEMM shares read
/// above 100%.
public enum ClockProbe {
    /// Runs a chain of dependent integer operations (an add then an xor, one cycle each on
    /// every x86-64 and Arm core of the last decade) on `threads` threads at once, as a kernel
    /// loads them, and returns the mean clock in MHz over the threads: the best of `rounds`
    /// timings of about 5 ms each.
    public static func measureMHz(threads: Int = 1, rounds: Int = 3) -> Double {
        let threads = max(1, threads)
        var clocks = [Double](repeating: 0, count: threads)
        clocks.withUnsafeMutableBufferPointer { clocks in
            WorkerPool(threads: threads).parallelRanges(threads, grain: 1) { range in
                for thread in range { clocks[thread] = bestOf(rounds) }
            }
        }
        return clocks.reduce(0, +) / Double(threads)
    }

    private static func bestOf(_ rounds: Int) -> Double {
        let iterations = 1_000_000, operationsPerIteration = 16
        var best = 0.0
        for round in 0..<max(1, rounds) {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = dependentChain(iterations, UInt64(round) | 0x9E37_79B9, 0x5BD1_E995)
            let nanoseconds = Double(DispatchTime.now().uptimeNanoseconds - start)
            if result == 42 { best += 0 }  // keeps the result live
            best = max(best, Double(iterations * operationsPerIteration) / nanoseconds * 1000)
        }
        return best
    }

    /// Eight (add, xor) pairs per iteration, each depending on the one before: 16 cycles.
    @inline(never)
    public static func dependentChain(_ iterations: Int, _ c: UInt64, _ d: UInt64) -> UInt64 {
        var x = c
        for _ in 0..<iterations {
            x = (x &+ c) ^ d; x = (x &+ c) ^ d; x = (x &+ c) ^ d; x = (x &+ c) ^ d
            x = (x &+ c) ^ d; x = (x &+ c) ^ d; x = (x &+ c) ^ d; x = (x &+ c) ^ d
        }
        return x
    }
}
