/// The checksums of PNG chunks (CRC-32, ISO 3309) and zlib streams (Adler-32, RFC 1950).
public enum Checksum {
    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 of `bytes`, continuing from `crc` (start with 0).
    public static func crc32<C: Collection>(_ bytes: C, crc: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        var c = ~crc
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }

    /// Adler-32 of `bytes`.
    public static func adler32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var (a, b): (UInt32, UInt32) = (1, 0)
        var pending = 0
        for byte in bytes {
            a += UInt32(byte); b += a
            pending += 1
            if pending == 5552 { a %= 65521; b %= 65521; pending = 0 }   // the largest run without overflow
        }
        return ((b % 65521) << 16) | (a % 65521)
    }
}
