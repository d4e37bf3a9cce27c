import XCTest
import PluginAPI
import Kernels

/// `CPUIDFlags`: the flags decoded from CPUID registers count only with the OS's register state,
/// and on this processor they are what picks the kernel set.
final class CPUIDTests: XCTestCase {
    /// Registers of a processor with everything up to AVX-512 (F, BW, VL, BF16, FP16): leaf 0
    /// says "GenuineIntel" with leaf 7 present, leaf 1 family 6 with SSE4.1/4.2, FMA, OSXSAVE,
    /// AVX; the brand string "Test CPU".
    static func leaves(_ leaf: UInt32, _ subleaf: UInt32) -> [UInt32]? {
        let ascii = { (s: String) -> UInt32 in s.utf8.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) } }
        switch (leaf, subleaf) {
        case (0, _): return [0x16, ascii("Genu"), ascii("ntel"), ascii("ineI")]
        case (1, _): return [0x0006_06A6, 0, 1 << 19 | 1 << 20 | 1 << 12 | 1 << 27 | 1 << 28, 0]
        case (7, 0): return [1, 1 << 5 | 1 << 16 | 1 << 17 | 1 << 30 | 1 << 31, 0, 1 << 23]
        case (7, 1): return [1 << 5, 0, 0, 0]
        case (0x8000_0000, _): return [0x8000_0004, 0, 0, 0]
        case (0x8000_0002, _): return [ascii("  Te"), ascii("st C"), ascii("PU  "), 0]
        case (0x8000_0003, _), (0x8000_0004, _): return [0, 0, 0, 0]
        default: return nil
        }
    }

    func testEveryFlagNeedsItsRegisterStateEnabled() throws {
        let all = try XCTUnwrap(CPUIDFlags.decode(leaf: Self.leaves, xcr0: 0b1110_0111))
        XCTAssertEqual(all.flags, ["sse4_1", "sse4_2", "avx", "fma", "avx2", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16"])
        XCTAssertEqual(all.vendor, "GenuineIntel")
        XCTAssertEqual(all.family, 6)
        XCTAssertEqual(all.brand, "Test CPU")
        // The OS saves ymm but not zmm state: AVX2 yes, AVX-512 no (an AVX-512 instruction would fault).
        XCTAssertEqual(try XCTUnwrap(CPUIDFlags.decode(leaf: Self.leaves, xcr0: 0b111)).flags, ["sse4_1", "sse4_2", "avx", "fma", "avx2"])
        // No OSXSAVE: SSE only.
        XCTAssertEqual(try XCTUnwrap(CPUIDFlags.decode(leaf: Self.leaves, xcr0: 0)).flags, ["sse4_1", "sse4_2"])
        // Not x86 (no leaf 0): nothing to decode.
        XCTAssertNil(CPUIDFlags.decode(leaf: { _, _ in nil }, xcr0: 0))
    }

    func testCPUIDDecidesTheVectorFlagsOverTheListedOnes() throws {
        // /proc/cpuinfo lists AVX-512 (as it does under qemu-user on an AVX-512 host), CPUID says
        // AVX2 at most: AVX2 is the widest set, and other listed flags are kept.
        var listed = CPUFeatures.parse(cpuinfo: "processor : 0\nvendor_id : AuthenticAMD\ncpu family : 25\nmodel name : Listed\n"
                                       + "flags : fpu sse2 avx avx2 fma avx512f avx512bw avx512vl aes\n")
        listed.adopt(try XCTUnwrap(CPUIDFlags.decode(leaf: Self.leaves, xcr0: 0b111)))
        XCTAssertTrue(listed.has("aes", "fpu", "avx2"))
        XCTAssertFalse(listed.has("avx512f"))
        XCTAssertEqual(listed.vendor, "GenuineIntel")
        XCTAssertEqual(listed.modelName, "Listed", "the model name stays the listed one")
        XCTAssertEqual(KernelSet.supported(by: listed).last, .avx2)
    }

    func testThisProcessorsSetIsOneItsCPUIDReports() throws {
        #if arch(x86_64)
        let cpuid = try XCTUnwrap(CPUIDFlags.current, "CPUID answers on every x86-64")
        XCTAssertFalse(cpuid.vendor.isEmpty)
        for set in KernelSet.supported(by: .current) {
            for flag in set.requiredFlags { XCTAssertTrue(cpuid.flags.contains(flag), "\(set.name) needs \(flag), which CPUID does not report") }
        }
        #else
        XCTAssertNil(CPUIDFlags.current)
        #endif
    }
}
