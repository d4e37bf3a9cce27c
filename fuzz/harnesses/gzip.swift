// libFuzzer harness for gzip and zlib inflation (Archive/Gzip.swift, Image/Inflate.swift),
// under a 256 KB output cap, and the tar reader on whatever inflates.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let limit = 1 << 18
    if let out = try? Gzip.decompress(bytes, limit: limit) {
        invariant(out.count <= limit, "gzip output past the cap")
        _ = try? Tar.files(out)
    }
    if let out = try? Inflate.zlib(bytes, limit: limit) {
        invariant(out.count <= limit, "zlib output past the cap")
    }
    return 0
}
