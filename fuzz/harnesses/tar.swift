// libFuzzer harness for the tar reader (Sources/Host/Core/Archive/Tar.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let entries = try? Tar.files(bytes) else { return 0 }
    var seen: Set<String> = []
    var total = 0
    for entry in entries {
        let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
        invariant(!entry.path.isEmpty && !entry.path.hasPrefix("/"), "path \(entry.path)")
        invariant(!parts.contains("..") && !parts.contains(".") && !parts.contains(""), "unnormalised path \(entry.path)")
        invariant(seen.insert(entry.path).inserted, "duplicate \(entry.path)")
        total += entry.contents.count
    }
    invariant(total <= bytes.count, "more contents than archive")
    return 0
}
