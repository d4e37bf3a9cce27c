// libFuzzer harness for the PGM reader (Datasets/PGM.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let image = try? PGM.parse(bytes, source: "fuzz.pgm") else { return 0 }
    invariant(image.width > 0 && image.height > 0, "empty image accepted")
    invariant(image.samples.count == image.width * image.height, "\(image.samples.count) samples for \(image.width) x \(image.height)")
    invariant(image.samples.allSatisfy { Int($0) <= image.maxValue }, "sample above maxval")
    invariant((try? PGM.parse(PGM.encode(image), source: "again")) == image, "round trip")
    return 0
}
