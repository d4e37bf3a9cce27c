import Foundation

// The two C functions of Sources/CPUID (linked into the runtime library). They are declared
// here rather than imported: a Swift import of the C module would be recorded in this module's
// interface, and every plugin compiled against the runtime would then need CPUID's module map.
@_silgen_name("host_cpuid") private func hostCPUID(_ leaf: UInt32, _ subleaf: UInt32, _ registers: UnsafeMutablePointer<UInt32>) -> Int32
@_silgen_name("host_xcr0") private func hostXCR0() -> UInt64

/// The vector features the processor itself reports through CPUID, named as Linux's
/// /proc/cpuinfo names them, each counted only when the OS saves its registers (XCR0). This is
/// what an instruction will find: under an emulator or a hypervisor that hides a feature,
/// /proc/cpuinfo can still list it (qemu-user shows the host's flags), CPUID cannot.
public struct CPUIDFlags: Equatable, Sendable {
    /// The flags this type decides; other /proc/cpuinfo flags pass through untouched.
    public static let decided: Set<String> = ["sse4_1", "sse4_2", "avx", "fma", "avx2", "avx512f", "avx512dq", "avx512cd",
                                              "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16"]

    /// The decided flags that are present.
    public var flags: Set<String>
    /// `GenuineIntel`, `AuthenticAMD`, ...
    public var vendor: String
    /// The display family (base family plus extended family, as Linux's `cpu family`).
    public var family: Int
    /// The brand string (Linux's `model name`), nil when the processor has none.
    public var brand: String?

    /// Decodes the registers: `leaf(l, s)` gives CPUID leaf `l`, subleaf `s` (EAX, EBX, ECX,
    /// EDX), nil where the leaf is not reported; `xcr0` the OS-enabled state (0 without
    /// OSXSAVE). Nil without leaf 0 (not an x86 processor).
    public static func decode(leaf: (UInt32, UInt32) -> [UInt32]?, xcr0: UInt64) -> CPUIDFlags? {
        guard let basic = leaf(0, 0) else { return nil }
        let vendor = text(of: [basic[1], basic[3], basic[2]])
        let one = leaf(1, 0) ?? [0, 0, 0, 0]
        let seven = basic[0] >= 7 ? leaf(7, 0) ?? [0, 0, 0, 0] : [0, 0, 0, 0]
        let sevenOne = basic[0] >= 7 && seven[0] >= 1 ? leaf(7, 1) ?? [0, 0, 0, 0] : [0, 0, 0, 0]
        func bit(_ register: UInt32, _ index: Int) -> Bool { register >> UInt32(index) & 1 == 1 }
        // XCR0: bit 1 SSE state, 2 AVX (upper ymm), 5-7 AVX-512 (opmask, upper zmm, zmm16-31).
        let avxState = xcr0 & 0b110 == 0b110, avx512State = avxState && xcr0 & 0b1110_0000 == 0b1110_0000
        var flags: Set<String> = []
        if bit(one[2], 19) { flags.insert("sse4_1") }
        if bit(one[2], 20) { flags.insert("sse4_2") }
        if avxState {
            if bit(one[2], 28) { flags.insert("avx") }
            if bit(one[2], 12) { flags.insert("fma") }
            if bit(seven[1], 5) { flags.insert("avx2") }
        }
        if avx512State {
            let avx512: [(Int, String)] = [(16, "avx512f"), (17, "avx512dq"), (28, "avx512cd"), (30, "avx512bw"), (31, "avx512vl")]
            for (index, name) in avx512 where bit(seven[1], index) { flags.insert(name) }
            if bit(seven[3], 23) { flags.insert("avx512_fp16") }
            if bit(sevenOne[0], 5) { flags.insert("avx512_bf16") }
        }
        let baseFamily = Int(one[0] >> 8 & 0xf), extendedFamily = Int(one[0] >> 20 & 0xff)
        var brand: String?
        if let top = leaf(0x8000_0000, 0), top[0] >= 0x8000_0004,
           let p2 = leaf(0x8000_0002, 0), let p3 = leaf(0x8000_0003, 0), let p4 = leaf(0x8000_0004, 0) {
            let name = text(of: p2 + p3 + p4).trimmingCharacters(in: .whitespaces)
            brand = name.isEmpty ? nil : name
        }
        return CPUIDFlags(flags: flags, vendor: vendor, family: baseFamily == 0xf ? baseFamily + extendedFamily : baseFamily, brand: brand)
    }

    /// This processor, nil where CPUID is missing (not x86-64).
    public static let current: CPUIDFlags? = decode(leaf: { leaf, subleaf in
        var registers: [UInt32] = [0, 0, 0, 0]
        return hostCPUID(leaf, subleaf, &registers) == 0 ? nil : registers
    }, xcr0: hostXCR0())

    /// The ASCII text of little-endian 32-bit registers, up to the first NUL.
    static func text(of registers: [UInt32]) -> String {
        var bytes: [UInt8] = []
        for register in registers { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: register >> UInt32(shift))) } }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
