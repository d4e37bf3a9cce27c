import XCTest
import KernelSupport
import PluginAPI
import Kernels

/// `rowDotProducts` (the Winograd kernel gradient's 16 products C = A · Bᵀ) in every kernel set
/// this CPU runs, against the definition.
final class RowDotKernelTests: XCTestCase {
    func testEverySetsRowDotProductsMatchTheDefinition() {
        let sets = KernelSet.supported(by: .current).compactMap(\.compiled)
        XCTAssertFalse(sets.isEmpty)
        // Rows and columns off the 3 x 3 blocking, lengths off every vector width (8, 16) and
        // shorter than one vector.
        for (batch, rows, columns, length) in [(16, 7, 5, 37), (2, 3, 3, 16), (3, 1, 4, 5), (16, 64, 64, 128), (1, 10, 2, 200)] {
            let a = random([batch * rows * length], seed: UInt64(rows * 31 + length)).values
            let b = random([batch * columns * length], seed: UInt64(columns * 17 + length)).values
            let start = random([batch * rows * columns], seed: 5).values
            var product = [Float](repeating: 0, count: batch * rows * columns)
            for p in 0..<batch { for i in 0..<rows { for j in 0..<columns {
                var sum = 0.0
                for t in 0..<length { sum += Double(a[(p * rows + i) * length + t]) * Double(b[(p * columns + j) * length + t]) }
                product[(p * rows + i) * columns + j] = Float(sum)
            } } }
            for kernels in sets {
                for accumulate in [false, true] {
                    var c = start
                    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                        kernels.rowDotProducts(batch: batch, a: a.baseAddress!, rows: rows, b: b.baseAddress!, columns: columns, length: length,
                                               accumulate: accumulate, into: c.baseAddress!, pool: WorkerPool(threads: 2))
                    } } }
                    let expected = accumulate ? zip(start, product).map { $0 + $1 } : product
                    assertClose(c, expected, atol: 1e-4, rtol: 1e-4, "\(kernels.name) \(batch)x\(rows)x\(columns)x\(length) accumulate \(accumulate)")
                }
            }
        }
    }
}
