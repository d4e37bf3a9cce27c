import Foundation
import PluginAPI
import XCTest
import Kernels

/// The golden cases copied from PyTorch (Tests/Fixtures/golden).
let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/golden").path

/// Asserts two arrays agree within atol + rtol |expected|, printing the worst few mismatches
/// and the largest error when they do not.
func assertClose(_ actual: [Float], _ expected: [Float], atol: Float = 1e-5, rtol: Float = 1e-4, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        return XCTFail("\(message): \(actual.count) values, expected \(expected.count)", file: file, line: line)
    }
    var bad: [(Int, Float, Float)] = []
    var largest: Float = 0
    for i in 0..<actual.count {
        let diff = abs(actual[i] - expected[i])
        largest = max(largest, diff.isNaN ? .infinity : diff)
        if !(diff <= atol + rtol * abs(expected[i])) { bad.append((i, actual[i], expected[i])) }
    }
    if !bad.isEmpty {
        let worst = bad.sorted { abs($0.1 - $0.2) > abs($1.1 - $1.2) }.prefix(4).map { "[\($0.0)] \($0.1) vs \($0.2)" }
        XCTFail("\(message): \(bad.count) of \(actual.count) differ; largest error \(largest); worst: \(worst.joined(separator: ", "))", file: file, line: line)
    }
}

/// Calls `body` with pointers to the tensors' values, in order, valid only inside it: for the
/// tests that call the pointer-level kernels (GEMM, the kernel sets) directly.
func withPointers<R>(_ tensors: [Tensor], _ body: ([UnsafeMutablePointer<Float>]) -> R) -> R {
    func nest(_ rest: ArraySlice<Tensor>, _ done: [UnsafeMutablePointer<Float>]) -> R {
        guard let first = rest.first else { return body(done) }
        return first.withUnsafeMutableBufferPointer { nest(rest.dropFirst(), done + [$0.baseAddress.unsafelyUnwrapped]) }
    }
    return nest(tensors[...], [])
}

/// Central-difference gradient of `f` (a scalar function of `x`) in Double arithmetic over
/// Float inputs, for checking autograd.
func numericGradient(_ x: Tensor, step: Float = 1e-2, _ f: (Tensor) -> Tensor) -> [Float] {
    var grad = [Float](repeating: 0, count: x.count)
    for i in 0..<x.count {
        let saved = x[flat: i]
        x[flat: i] = saved + step
        let up = Double(noGrad { f(x) }.item)
        x[flat: i] = saved - step
        let down = Double(noGrad { f(x) }.item)
        x[flat: i] = saved
        grad[i] = Float((up - down) / (2 * Double(step)))
    }
    return grad
}

/// Checks autograd against central differences for a scalar function of one input.
func assertGradient(_ shape: [Int], seed: UInt64 = 1, low: Float = -1, high: Float = 1, atol: Float = 2e-3, rtol: Float = 2e-2,
                    _ name: String, file: StaticString = #filePath, line: UInt = #line, _ f: (Tensor) -> Tensor) {
    var g = SeededGenerator(seed: seed)
    let x = Tensor.uniform(shape, low: low, high: high, generator: &g, requiresGrad: true)
    f(x).backward()
    let analytic = x.grad?.values ?? []
    assertClose(analytic, numericGradient(x, f), atol: atol, rtol: rtol, name, file: file, line: line)
}

func random(_ shape: [Int], seed: UInt64, requiresGrad: Bool = false) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: -1, high: 1, generator: &g, requiresGrad: requiresGrad)
}
