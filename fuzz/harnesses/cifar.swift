// libFuzzer harness for the CIFAR-10 batch reader (Datasets/CIFAR10Batch.swift): whole, and the
// first record only, as a subset reads it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    for limit in [nil, 1, 0] as [Int?] {
        guard let records = try? CIFARBatchFile.decode(bytes, name: "fuzz.bin", limit: limit) else { continue }
        invariant(records.pixels.count == records.labels.count * 3072, "pixels and labels disagree")
        invariant(records.labels.allSatisfy { (0...9).contains($0) }, "label outside 0...9")
        invariant(records.labels.count <= bytes.count / 3073, "more records than the file holds")
        if let limit { invariant(records.labels.count <= limit, "read past the limit") }
    }
    return 0
}
