import Foundation

/// What the kernels need to know about the processor, read from Linux's /proc/cpuinfo (on x86
/// the `flags` and `model name` lines, on aarch64 `Features` and `CPU part`) and, on x86-64,
/// from the CPUID instruction, whose vector flags override the listed ones (`CPUIDFlags`).
public struct CPUFeatures: Equatable, Sendable {
    public enum Architecture: String, Sendable { case x86_64, aarch64, unknown }

    public var architecture: Architecture
    /// `model name` (x86), or "ARM CPU part 0x..." with the implementer on aarch64.
    public var modelName: String
    /// The first processor's `flags` (x86) or `Features` (aarch64).
    public var flags: Set<String>
    /// Processors listed (logical cores, hyper-threads counted).
    public var logicalCores: Int
    /// The highest clock: cpufreq's `cpuinfo_max_freq` when given, else the largest `cpu MHz`.
    public var maxClockMHz: Double?
    /// `vendor_id` (x86: GenuineIntel, AuthenticAMD), nil where absent.
    public var vendor: String? = nil
    /// `cpu family` (x86), nil where absent.
    public var family: Int? = nil

    /// An AMD Zen 4 (family 25 with AVX-512): it runs 512-bit instructions as two 256-bit
    /// halves, so the AVX-512 kernels are no faster there than the AVX2 ones (measured on an
    /// EPYC of this kind: GEMM 512-2048 within 5%, the 100 x 300 * 300 x 100 product 12% slower).
    public var splitsAVX512: Bool { vendor == "AuthenticAMD" && family == 25 }

    public init(architecture: Architecture, modelName: String, flags: Set<String>, logicalCores: Int, maxClockMHz: Double?) {
        (self.architecture, self.modelName, self.flags, self.logicalCores, self.maxClockMHz) =
            (architecture, modelName, flags, logicalCores, maxClockMHz)
    }

    /// Parses the text of /proc/cpuinfo; `maxFrequencyKHz` is the text of
    /// /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq when that file exists.
    public static func parse(cpuinfo: String, maxFrequencyKHz: String? = nil) -> CPUFeatures {
        var model: String?, flags: Set<String>?, features: Set<String>?, part: String?, implementer: String?
        var processors = 0, maxMHz: Double?, vendor: String?, family: Int?
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "processor": processors += 1
            case "model name" where model == nil: model = value
            case "flags" where flags == nil: flags = Set(value.split(separator: " ").map(String.init))
            case "Features" where features == nil: features = Set(value.split(separator: " ").map(String.init))
            case "CPU part" where part == nil: part = value
            case "vendor_id" where vendor == nil: vendor = value
            case "cpu family" where family == nil: family = Int(value)
            case "CPU implementer" where implementer == nil: implementer = value
            case "cpu MHz": if let mhz = Double(value) { maxMHz = max(maxMHz ?? 0, mhz) }
            default: break
            }
        }
        if let khz = maxFrequencyKHz.flatMap({ Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }), khz > 0 {
            maxMHz = khz / 1000
        }
        let architecture: Architecture = flags != nil ? .x86_64 : features != nil ? .aarch64 : .unknown
        let name = model ?? part.map { "ARM CPU part \($0)" + (implementer.map { " (implementer \($0))" } ?? "") } ?? "unknown CPU"
        var parsed = CPUFeatures(architecture: architecture, modelName: name, flags: flags ?? features ?? [],
                                 logicalCores: max(1, processors), maxClockMHz: maxMHz)
        (parsed.vendor, parsed.family) = (vendor, family)
        return parsed
    }

    /// This machine, read once: /proc/cpuinfo for the model, clock and processor count, and on
    /// x86-64 the processor's own CPUID for the vector flags, vendor and family (`CPUIDFlags`:
    /// what an instruction will find, even where /proc/cpuinfo lists more, as under qemu-user).
    /// Where /proc/cpuinfo cannot be read (not Linux), the build's architecture with CPUID's
    /// flags on x86-64 and none elsewhere, so only the sets the processor runs are chosen.
    ///
    /// `HOST_CPUINFO=FILE` reads the model name and flags from FILE instead, keeping only the
    /// flags this CPU also has: it can narrow the choice (the tests use it to check, on an
    /// AVX-512 machine, that a set the CPU lacks is refused), never claim what is not there.
    public static let current: CPUFeatures = {
        let khz = readWhole("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        var features = parse(cpuinfo: readWhole("/proc/cpuinfo") ?? "", maxFrequencyKHz: khz)
        if features.architecture == .unknown {
            #if arch(x86_64)
            features.architecture = .x86_64
            #elseif arch(arm64)
            features.architecture = .aarch64
            #endif
        }
        features.logicalCores = max(features.logicalCores, ProcessInfo.processInfo.activeProcessorCount)
        if let cpuid = CPUIDFlags.current {
            features.adopt(cpuid)
        }
        if let path = ProcessInfo.processInfo.environment["HOST_CPUINFO"], let sample = readWhole(path) {
            let narrowed = parse(cpuinfo: sample)
            features.modelName = narrowed.modelName
            features.flags.formIntersection(narrowed.flags)
            (features.vendor, features.family) = (narrowed.vendor, narrowed.family)
        }
        return features
    }()

    /// Takes CPUID's word for the vector flags, vendor and family (and the model name where
    /// /proc/cpuinfo gave none); the other flags stay as listed.
    public mutating func adopt(_ cpuid: CPUIDFlags) {
        flags = flags.subtracting(CPUIDFlags.decided).union(cpuid.flags)
        (vendor, family) = (cpuid.vendor, cpuid.family)
        if modelName == "unknown CPU", let brand = cpuid.brand { modelName = brand }
    }

    /// A file's whole text (`String(contentsOfFile:)` stops after the first page of a /proc
    /// file, which on a many-core machine leaves processors out).
    static func readWhole(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Whether every flag in `names` is present.
    public func has(_ names: String...) -> Bool { names.allSatisfy(flags.contains) }

    /// The detected peak in GFLOP/s of `set` on `threads` threads: threads x lanes x FMA pipes
    /// x 2 (a multiply-add is two operations) x clock. The pipes are assumed, not measured: two
    /// FMA pipes per core for AVX2 and AVX-512 (Haswell on, Zen on), one for AVX-512 on a Zen 4
    /// (`splitsAVX512`: its two 256-bit pipes take a 512-bit FMA as two halves), and for the
    /// generic set two multiply and two add pipes of 4 lanes (Zen, Skylake on; measured here:
    /// the generic GEMM reaches 11 flops per cycle per core, more than one multiply and one add
    /// could give) or NEON's two FMA pipes. Some Xeons have one 512-bit FMA unit, so AVX-512
    /// shares read up to half as high there. `clockMHz` is the clock to count (best measured
    /// with `ClockProbe`); by default the highest the kernel reports, which is the base clock
    /// where cpufreq is missing. Nil without a clock.
    public func peakGFLOPS(_ set: KernelSet, threads: Int, clockMHz: Double? = nil) -> Double? {
        guard let mhz = clockMHz ?? maxClockMHz, mhz > 0 else { return nil }
        return Double(threads * set.lanes * fmaPipes(set) * 2) * mhz / 1000
    }

    /// The full-width multiply-add pipes per core `peakGFLOPS` counts for `set` (assumed).
    public func fmaPipes(_ set: KernelSet) -> Int { set == .avx512 && splitsAVX512 ? 1 : 2 }
}
