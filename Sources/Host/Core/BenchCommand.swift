import Foundation
import PluginAPI
import Kernels

/// `host bench [FILTER] [--json]`: the engine's micro-benchmarks as a table or JSON lines.
enum BenchCommand {
    static func run(filter: String?, globals: GlobalOptions) -> Int32 {
        if let filter, !EngineBench.cases().contains(where: { $0.name.contains(filter) }), !"memory".contains(filter) {
            let names = EngineBench.cases().map(\.name) + ["training step memory (memory)"]
            return HostCommand.report(HostError("no benchmark matches '\(filter)'",
                                                hint: "give part of a case's name: " + names.joined(separator: "; "), exitCode: ExitCode.usage))
        }
        WorkerPool.shared.threads = globals.threads
        let cpu = CPUFeatures.current, set = KernelSet.active
        // The clock the cores hold under load, measured on every thread at once (the kernel's
        // `cpu MHz` is the base clock on machines without cpufreq).
        let clock = ClockProbe.measureMHz(threads: globals.threads)
        let peak = cpu.peakGFLOPS(set, threads: globals.threads, clockMHz: clock)
        // The share of the detected peak, for the rows bound by multiply-adds (GEMM, conv).
        let share = { (r: EngineBench.Result) -> Double? in
            guard let peak, r.name.hasPrefix("gemm") || r.name.hasPrefix("conv") else { return nil }
            return r.gflops / peak
        }
        if !globals.json {
            print("CPU: \(cpu.modelName), \(cpu.logicalCores) logical cores, " + String(format: "%.0f MHz measured under load", clock)
                  + (cpu.maxClockMHz.map { String(format: " (%.0f MHz reported)", $0) } ?? ""))
            let forced = ProcessInfo.processInfo.environment[KernelSet.environmentVariable].map { !$0.isEmpty } ?? false
            print("kernels: \(set.name) (\(set.lanes) lanes, \(forced ? "forced by HOST_KERNELS" : "the default for this CPU")); detected peak "
                  + (peak.map { String(format: "%.0f GFLOP/s on %d threads", $0, globals.threads) } ?? "unknown (no clock)")
                  + " = threads x lanes x \(cpu.fmaPipes(set)) FMA pipes (assumed) x 2 x measured clock")
            print("engine micro-benchmarks, \(globals.threads) threads (median of repeated calls)")
            print(HelpText.table([["case", "shape", "ms", "GFLOP/s", "% peak"]], indent: 0), terminator: "")
        }
        EngineBench.run(filter: filter) { r in
            if globals.json {
                print(JSON.object([("name", .string(r.name)), ("shape", .string(r.shape)), ("threads", .number(Double(r.threads))),
                                   ("ms", .number((r.milliseconds * 1000).rounded() / 1000)),
                                   ("gflops", .number((r.gflops * 10).rounded() / 10)),
                                   ("peak_share", share(r).map { .number(($0 * 1000).rounded() / 1000) } ?? .null),
                                   ("kernel_set", .string(set.name)), ("cpu", .string(cpu.modelName)),
                                   ("clock_mhz", .number(clock.rounded()))]).text())
            } else {
                print("\(r.name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(r.shape.padding(toLength: 30, withPad: " ", startingAt: 0)) "
                      + String(format: "%10.3f %8.1f", r.milliseconds, r.gflops)
                      + (share(r).map { String(format: " %6.1f%%", $0 * 100) } ?? ""))
            }
        }
        if filter.map({ "memory".contains($0) || $0 == "memory" }) ?? true {
            let m = MemoryBench.convNetStep()
            let mb = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1e6) }
            if globals.json {
                print(JSON.object([("name", .string("training step memory")), ("peak_bytes", .number(Double(m.peak))),
                                   ("bound_bytes", .number(Double(m.bound))), ("ratio", .number((m.ratio * 1000).rounded() / 1000))]).text())
            } else {
                print("training step memory (conv-BN-ReLU x2, batch 32 of 16x32x32): peak \(mb(m.peak)); parameters \(mb(m.parameters)) + gradients "
                      + "\(mb(m.gradients)) + activations \(mb(m.activations)) = \(mb(m.bound)); ratio " + String(format: "%.2f", m.ratio))
            }
        }
        return ExitCode.success
    }
}
