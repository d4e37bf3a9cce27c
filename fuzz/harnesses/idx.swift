// libFuzzer harness for the IDX reader (Datasets/IDX.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let array = try? IDX.parse(bytes, source: "fuzz.idx") else { return 0 }
    invariant(array.shape.reduce(1, *) == array.bytes.count, "shape \(array.shape) for \(array.bytes.count) bytes")
    invariant(IDX.encode(array) == bytes, "an accepted file encodes back to the same bytes")
    return 0
}
