import Foundation
import PluginAPI
import XCTest

final class NPYTests: XCTestCase {
    func testRoundTripFloatAndDouble() throws {
        let folder = NSTemporaryDirectory() + "npy-\(UUID().uuidString.prefix(6))"
        let a = NPYArray(shape: [2, 3], floats: [1, -2, 3.5, 0, 1e-8, 7])
        try NPY.write(a, to: folder + "/a.npy")
        XCTAssertEqual(try NPY.read(folder + "/a.npy"), a)
        let b = NPYArray(shape: [3], values: [1.0 / 3, 2e300, -0.0], dtype: "<f8")
        try NPY.write(b, to: folder + "/b.npy")
        XCTAssertEqual(try NPY.read(folder + "/b.npy").values, b.values)
        let scalar = NPYArray(shape: [], floats: [4])
        XCTAssertEqual(try NPY.decode(NPY.encode(scalar), name: "s").shape, [])
    }

    func testHeaderIsPaddedTo64Bytes() {
        let bytes = NPY.encode(NPYArray(shape: [5], floats: [1, 2, 3, 4, 5]))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        XCTAssertEqual(bytes[10 + headerLength - 1], 0x0A)
    }

    func testMalformedFilesAreNamed() {
        let good = NPY.encode(NPYArray(shape: [4], floats: [1, 2, 3, 4]))
        let cases: [([UInt8], String)] = [
            (Array("hello".utf8), "does not start with the \\x93NUMPY magic"),
            (Array(good.dropLast(3)), "the data is truncated"),
            (Array(good.prefix(20)), "truncated header"),
            (good.replacing(Array("<f4".utf8), with: Array("<c8".utf8)), "dtype <c8 is not supported"),
            (good.replacing(Array("False".utf8), with: Array("True ".utf8)), "Fortran order is not supported"),
        ]
        for (bytes, expected) in cases {
            XCTAssertThrowsError(try NPY.decode(bytes, name: "x.npy")) { error in
                let message = (error as? PluginError)?.message ?? ""
                XCTAssertTrue(message.hasPrefix("x.npy is not a valid .npy file"), message)
                XCTAssertTrue(message.contains(expected), "\(message) lacks \(expected)")
                XCTAssertEqual((error as? PluginError)?.kind, .invalidInput)
            }
        }
    }

    func testReadsIntegerAndBoolDtypes() throws {
        var bytes = NPY.encode(NPYArray(shape: [2], floats: [0, 0]))
        bytes = bytes.replacing(Array("<f4".utf8), with: Array("<i4".utf8))
        let n = bytes.count
        bytes.replaceSubrange(n - 8..<n, with: [0xFF, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0])
        XCTAssertEqual(try NPY.decode(bytes, name: "i").values, [-1, 7])
    }
}

extension Array where Element == UInt8 {
    func replacing(_ old: [UInt8], with new: [UInt8]) -> [UInt8] {
        guard let start = (0...(count - old.count)).first(where: { Array(self[$0..<$0 + old.count]) == old }) else { return self }
        var copy = self
        copy.replaceSubrange(start..<start + old.count, with: new)
        return copy
    }
}
