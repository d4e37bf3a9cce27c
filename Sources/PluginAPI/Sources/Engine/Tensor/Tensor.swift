import Foundation
import Formats

/// An n-dimensional array of Float32 in row-major (NCHW) order, with reverse-mode autograd.
///
/// A reference type like `torch.Tensor`: optimizers update parameters in place and `grad`
/// accumulates. Every tensor is contiguous; `reshape` shares storage, other shape changes copy.
public final class Tensor: CustomStringConvertible, @unchecked Sendable {
    /// The dimensions, outermost first; `[]` for a scalar.
    public let shape: [Int]
    let storage: TensorStorage
    /// Whether gradients flow to this tensor (PyTorch's `requires_grad`).
    public var requiresGrad: Bool
    /// The accumulated gradient after `backward()` (leaves only, as in PyTorch).
    public var grad: Tensor? {
        get {
            if let deferred = deferredGradient {
                deferredGradient = nil
                let dense = deferred.materialized()
                if let storedGrad { storedGrad.addInPlace(dense) } else { storedGrad = dense }
            }
            return storedGrad
        }
        set {
            storedGrad = newValue
            deferredGradient = nil
        }
    }
    /// The gradient as a dense tensor, when it is one.
    var storedGrad: Tensor?
    /// The gradient still as factors (a linear layer's few-row batch), until `grad` is read.
    var deferredGradient: LowRankGradient?
    /// The operation that produced this tensor, when it was recorded for autograd.
    var node: GradNode?

    /// A tensor over existing storage (shared, not copied), which is marked shared unless it
    /// is `fresh` (made for this tensor alone).
    init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false, fresh: Bool = false) {
        engineCheck(shape.reduce(1, *) == storage.count, "shape \(shape) does not match \(storage.count) values")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
        if !fresh { storage.isShared = true }
    }

    /// A zero-filled tensor (`zeroed: false` leaves the memory for the caller to fill).
    public convenience init(zeros shape: [Int], zeroed: Bool = true, requiresGrad: Bool = false) {
        self.init(shape: shape, storage: TensorStorage(count: Tensor.elementCount(shape), zeroed: zeroed), requiresGrad: requiresGrad, fresh: true)
    }

    /// A tensor holding `values` with the given shape.
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        engineCheck(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.init(zeros: shape, zeroed: false, requiresGrad: requiresGrad)
        capturedKernel("constant") { [storage] in
            values.withUnsafeBufferPointer { storage.base.update(from: $0.baseAddress.unsafelyUnwrapped, count: values.count) }
        }
    }

    /// A scalar tensor.
    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    /// Number of elements.
    public var count: Int { storage.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// The raw values (row-major), for the engine's own code; plugins use `withValues`,
    /// `withMutableValues`, `values` or `[flat:]`.
    package var data: UnsafeMutablePointer<Float> { storage.base }
    /// The values as an array.
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    /// Element `index` of the values in row-major order, bounds-checked: `y[flat: r * 10 + label] = 1`.
    /// The safe way for plugin code to read or write single values (no pointer to keep valid).
    public subscript(flat index: Int) -> Float {
        get {
            engineCheck(index >= 0 && index < count, "tensor[flat: \(index)] is outside its \(count) values (shape \(shape))")
            return data[index]
        }
        set {
            engineCheck(index >= 0 && index < count, "tensor[flat: \(index)] is outside its \(count) values (shape \(shape))")
            data[index] = newValue
        }
    }
    /// The single value of a one-element tensor (PyTorch's `item()`).
    public var item: Float { engineCheck(count == 1, "item() needs one element, the tensor has \(count)"); return data[0] }
    /// Whether this tensor was produced by a recorded operation (not a leaf).
    public var isLeaf: Bool { node == nil }

    /// The size of dimension `axis` (negative counts from the end).
    public func size(_ axis: Int) -> Int { shape[normalizeAxis(axis, rank: rank)] }

    /// A copy with its own storage and no autograd history.
    public func copy() -> Tensor {
        let out = Tensor(zeros: shape, zeroed: false)
        capturedKernel("copy") { [storage, count, target = out.storage] in target.base.update(from: storage.base, count: count) }
        return out
    }

    /// The same values without autograd history (shares storage), as `detach()`.
    public func detach() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Sets every value to zero in place.
    public func zero_() { capturedKernel("zero_") { [storage, count] in storage.base.update(repeating: 0, count: count) } }

    /// Copies `other`'s values into this tensor in place (shapes must hold the same count).
    public func copy_(_ other: Tensor) {
        engineCheck(other.count == count, "copy_ from \(other.shape) into \(shape)")
        capturedKernel("copy_") { [storage, count] in storage.base.update(from: other.storage.base, count: count) }
    }

    /// `Tensor(shape: [2, 3], [values])` with at most the first 8 values, and `requiresGrad` when set.
    public var description: String {
        let shown = values.prefix(8).map { formatNumber(Double($0)) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", ..." : "")]\(requiresGrad ? ", requiresGrad" : ""))"
    }

    // MARK: creation

    /// `torch.zeros(shape)`: a new tensor of zeros (a leaf that requires gradients when asked).
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor { Tensor(zeros: shape, requiresGrad: requiresGrad) }
    /// `torch.ones(shape)`: a new tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor { full(shape, 1, requiresGrad: requiresGrad) }

    /// `torch.full(shape, value)`: a new tensor with every element `value`.
    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(zeros: shape, zeroed: false, requiresGrad: requiresGrad)
        capturedKernel("full") { [storage = t.storage] in storage.base.update(repeating: value, count: storage.count) }
        return t
    }

    /// 0, 1, ..., n-1 scaled: `start + step * i`.
    public static func arange(_ n: Int, start: Float = 0, step: Float = 1) -> Tensor {
        Tensor((0..<n).map { start + step * Float($0) }, shape: [n])
    }

    /// Uniform on [low, high) from a seeded generator.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, generator: inout SeededGenerator,
                               requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(zeros: shape, zeroed: false, requiresGrad: requiresGrad)
        for i in 0..<t.count { t.data[i] = low + (high - low) * generator.nextFloat() }
        return t
    }

    /// Normal with the given mean and standard deviation from a seeded generator.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, generator: inout SeededGenerator,
                              requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(zeros: shape, zeroed: false, requiresGrad: requiresGrad)
        for i in 0..<t.count { t.data[i] = mean + std * Float(generator.nextNormal()) }
        return t
    }
}

/// `axis` in 0..<rank, allowing negative axes counted from the end.
@inline(__always)
func normalizeAxis(_ axis: Int, rank: Int) -> Int {
    let a = axis < 0 ? axis + rank : axis
    engineCheck(a >= 0 && a < max(rank, 1), "axis \(axis) is out of range for rank \(rank)")
    return a
}

extension Tensor {
    /// The number of values a tensor of this shape holds; stops the run on a negative size or
    /// a product that overflows (a shape computed from a file or an option gone wrong).
    public static func elementCount(_ shape: [Int]) -> Int {
        var count = 1
        for size in shape {
            engineCheck(size >= 0, "tensor shape \(shape) has a negative size")
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            engineCheck(!overflow, "tensor shape \(shape) holds more values than memory can address")
            count = product
        }
        return count
    }
}
