import Foundation
import KernelSupport
#if canImport(KernelsGeneric)
import KernelsGeneric
#endif
#if canImport(KernelsAVX2)
import KernelsAVX2
#endif
#if canImport(KernelsAVX512)
import KernelsAVX512
#endif

/// The kernel sets one build carries, widest last. Chosen once at start-up: `HOST_KERNELS`
/// when set, else the widest the CPU runs, AVX2 rather than AVX-512 on AMD Zen 4
/// (docs/ARCHITECTURE.md, "Kernel sets").
public enum KernelSet: String, CaseIterable, Sendable {
    /// Portable: x86-64's baseline (SSE2, a multiply and an add) or aarch64's NEON.
    case generic
    /// AVX2 with FMA (Haswell, Zen and later): 8-lane vectors.
    case avx2
    /// AVX-512 F, BW and VL with FMA and AVX2 (Skylake-SP, Ice Lake, Zen 4 and later): 16 lanes.
    case avx512

    /// The environment variable that forces a set.
    public static let environmentVariable = "HOST_KERNELS"

    /// The set's name, as `HOST_KERNELS` spells it.
    public var name: String { rawValue }

    /// Floats per hardware vector instruction: 4 for generic (two halves per 8-lane vector),
    /// 8 for AVX2, 16 for AVX-512. The peak estimate counts these.
    public var lanes: Int {
        switch self {
        case .generic: return 4
        case .avx2: return 8
        case .avx512: return 16
        }
    }

    /// The CPU flags the set needs.
    public var requiredFlags: [String] {
        switch self {
        case .generic: return []
        case .avx2: return ["avx2", "fma"]
        case .avx512: return ["avx512f", "avx512bw", "avx512vl", "fma", "avx2"]
        }
    }

    /// The sets compiled into this build: all three on x86-64, the generic one elsewhere.
    public static var built: [KernelSet] { allCases.filter { $0.compiled != nil } }

    /// This set's kernels, when this build has them.
    public var compiled: (any KernelSetImplementation.Type)? {
        switch self {
        case .generic:
            #if canImport(KernelsGeneric)
            return KernelsGeneric.Implementation.self
            #else
            return nil
            #endif
        case .avx2:
            #if canImport(KernelsAVX2)
            return KernelsAVX2.Implementation.self
            #else
            return nil
            #endif
        case .avx512:
            #if canImport(KernelsAVX512)
            return KernelsAVX512.Implementation.self
            #else
            return nil
            #endif
        }
    }

    /// The sets of this build that `cpu` can run, narrowest first.
    public static func supported(by cpu: CPUFeatures) -> [KernelSet] {
        built.filter { set in
            set == .generic || (cpu.architecture == .x86_64 && set.requiredFlags.allSatisfy(cpu.flags.contains))
        }
    }

    /// Why a requested set cannot be used: one line and a hint.
    public struct SelectionError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var hint: String
        public var description: String { "error: \(message)\n  hint: \(hint)" }
    }

    /// The default among the sets `cpu` runs: the widest, except AVX-512 on a CPU that splits
    /// 512-bit instructions into two 256-bit halves (AMD Zen 4), where AVX2 is as fast on square
    /// products and faster on skinny ones; `HOST_KERNELS=avx512` still selects it there.
    public static func preferred(among available: [KernelSet], cpu: CPUFeatures) -> KernelSet {
        let widest = available.last ?? .generic
        if widest == .avx512 && cpu.splitsAVX512, available.contains(.avx2) { return .avx2 }
        return widest
    }

    /// The set to use: `requested` (the value of HOST_KERNELS; nil or empty for the widest the
    /// CPU supports) when this build has it and `cpu` runs it, else an error naming the sets
    /// that would run.
    public static func select(requested: String?, cpu: CPUFeatures) -> Result<KernelSet, SelectionError> {
        let available = supported(by: cpu)
        let hint = "this CPU (\(cpu.modelName)) runs \(available.map(\.name).joined(separator: ", ")); "
            + "set \(environmentVariable) to one of them or unset it to use the widest"
        guard let requested = requested?.trimmingCharacters(in: .whitespaces), !requested.isEmpty else {
            return .success(preferred(among: available, cpu: cpu))
        }
        guard let set = KernelSet(rawValue: requested.lowercased()) else {
            return .failure(SelectionError(message: "\(environmentVariable)=\(requested) is not a kernel set (generic, avx2, avx512)", hint: hint))
        }
        guard set.compiled != nil else {
            return .failure(SelectionError(message: "\(environmentVariable)=\(requested): this build has no \(set.name) kernels", hint: hint))
        }
        guard available.contains(set) else {
            let missing = set.requiredFlags.filter { !cpu.flags.contains($0) }
            return .failure(SelectionError(
                message: "\(environmentVariable)=\(requested): this CPU lacks \(missing.joined(separator: ", ")), which the \(set.name) kernels need",
                hint: hint))
        }
        return .success(set)
    }

    /// The choice for this process: HOST_KERNELS and this CPU. The host checks it before doing
    /// anything else (an error exits 2 with the message); other programs that get an invalid
    /// HOST_KERNELS stop at the first kernel call with the same message, never with an illegal
    /// instruction.
    public static var selection: Result<KernelSet, SelectionError> {
        select(requested: ProcessInfo.processInfo.environment[environmentVariable], cpu: .current)
    }

    /// The set in use.
    public static let active: KernelSet = {
        switch selection {
        case .success(let set):
            return set
        case .failure(let error):
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            exit(2)
        }
    }()

    /// The set's kernels. Only `built` sets are ever selected.
    var implementation: any KernelSetImplementation.Type {
        compiled ?? KernelSet.generic.compiled.unsafelyUnwrapped
    }
}
