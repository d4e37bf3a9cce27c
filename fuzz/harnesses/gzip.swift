// libFuzzer harness for gzip and zlib inflation (Formats/Gzip.swift, Inflate.swift,
// InflateStream.swift), under a 256 KB output cap, the tar reader on whatever inflates, and
// the streaming gunzip on the same bytes arriving in pieces (their size from the last byte):
// it must give the whole-array reader's output or error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let limit = 1 << 18
    var whole: [UInt8]?, wholeError = ""
    do { whole = try Gzip.decompress(bytes, limit: limit) } catch { wholeError = "\(error)" }
    if let out = whole {
        invariant(out.count <= limit, "gzip output past the cap")
        _ = try? Tar.files(out)
    }
    var offset = 0, streamed: [UInt8] = []
    let piece = 1 + Int(bytes.last ?? 0) % 61
    do {
        try Gzip.decompress(limit: limit, read: {
            let next = Array(bytes[offset..<min(bytes.count, offset + piece)])
            offset += next.count
            return next
        }, write: { streamed += $0 })
        invariant(whole == streamed || (whole == nil && bytes.count < 18), "the streaming gunzip read what the whole-array one did not")
    } catch {
        invariant(whole == nil, "the streaming gunzip refused what the whole-array one read: \(error)")
        invariant(bytes.count < 18 || "\(error)" == wholeError, "errors differ: \(error) / \(wholeError)")
    }
    invariant(streamed.count <= limit, "streamed output past the cap")
    if let out = try? Inflate.zlib(bytes, limit: limit) {
        invariant(out.count <= limit, "zlib output past the cap")
    }
    return 0
}
