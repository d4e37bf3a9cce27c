// libFuzzer harness for the tar reader (Sources/Host/Core/Archive/Tar.swift, TarReader.swift):
// Tar.files on the whole input, and Tar.Reader on the same bytes arriving in pieces (their size
// taken from the first byte) without knowing the length; both must accept the same archives and
// read the same files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let whole = try? Tar.files(bytes)
    let streamed = readInPieces(bytes, size: 1 + Int(bytes.first ?? 0) % 97)
    invariant((whole == nil) == (streamed == nil), "Tar.files \(whole == nil ? "refused" : "read") what Tar.Reader \(streamed == nil ? "refused" : "read")")
    guard let entries = whole else { return 0 }
    invariant(entries == streamed, "Tar.Reader read other files than Tar.files")
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

/// The files Tar.Reader reports for `bytes` fed `size` bytes at a time; nil when it throws.
func readInPieces(_ bytes: [UInt8], size: Int) -> [Tar.Entry]? {
    var reader = Tar.Reader()
    var entries: [Tar.Entry] = []
    var sizes: [Int] = []
    do {
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + size)
            try reader.feed(bytes[at..<end]) { event in
                switch event {
                case .file(let path, let size):
                    entries.append(Tar.Entry(path: path, contents: []))
                    sizes.append(size)
                case .contents(let piece):
                    invariant(!entries.isEmpty, "contents before a file")
                    entries[entries.count - 1].contents += piece
                    invariant(entries[entries.count - 1].contents.count <= sizes[sizes.count - 1], "more contents than the header said")
                }
            }
            at = end
        }
        try reader.finish()
    } catch {
        return nil
    }
    invariant(zip(entries, sizes).allSatisfy { $0.contents.count == $1 }, "a file shorter than its header said")
    return entries
}
