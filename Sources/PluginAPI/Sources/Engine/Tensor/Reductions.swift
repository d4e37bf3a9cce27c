import Formats

/// Sums, means and maxima over axes, with gradients. Sums accumulate in Double, so results do
/// not depend on the order of the reduction (or the thread count).
extension Tensor {
    /// The shape viewed as (outer, n, inner) around `axis`.
    func split(at axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Sum over one axis, kept as size 1 (no autograd).
    func sumKernel(axis: Int) -> Tensor {
        let (outer, n, inner) = split(at: axis)
        var outShape = shape; outShape[axis] = 1
        let out = Tensor(zeros: outShape, zeroed: false)
        capturedKernel("sum") { [storage, target = out.storage] in
            Tensor.sumKernel(storage.base, outer: outer, n: n, inner: inner, into: target.base)
        }
        return out
    }

    /// The sums over the middle index of (outer, n, inner) values into (outer, inner), in Double.
    static func sumKernel(_ p: UnsafePointer<Float>, outer: Int, n: Int, inner: Int, into o: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: inner) { acc in
            for i in 0..<outer {
                acc.initialize(repeating: 0)
                for k in 0..<n {
                    let row = p + (i * n + k) * inner
                    for j in 0..<inner { acc[j] += Double(row[j]) }
                }
                for j in 0..<inner { o[i * inner + j] = Float(acc[j]) }
            }
        }
    }

    /// Sum over `axes` (all when empty is not what you want: use `sum()`), as `x.sum(dim=axes, keepdim=)`.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let axes = Set(axes.map { normalizeAxis($0, rank: rank) }).sorted()
        var out = self.detach()
        for axis in axes { out = out.sumKernel(axis: axis) }
        let keptShape = out.shape
        if !keepDims { out = Tensor(shape: shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element), storage: out.storage) }
        let inputShape = shape
        return out.recorded("sum", [self]) { g in [g.reshape(keptShape).expand(to: inputShape)] }
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Sum of every element, as a scalar tensor.
    public func sum() -> Tensor {
        let out = Tensor(zeros: [], zeroed: false)
        capturedKernel("sum_all") { [storage, count, target = out.storage] in
            var acc = 0.0
            let p = storage.base
            for i in 0..<count { acc += Double(p[i]) }
            target.base[0] = Float(acc)
        }
        let inputShape = shape
        return out.recorded("sum_all", [self]) { g in
            let grad = Tensor(zeros: inputShape, zeroed: false)
            capturedKernel("sum_all_backward") { [g = g.storage, target = grad.storage] in target.base.update(repeating: g.base[0], count: target.count) }
            return [grad]
        }
    }

    /// Mean over `axes`.
    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = axes.map { shape[normalizeAxis($0, rank: rank)] }.reduce(1, *)
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(n))
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Mean of every element.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// This tensor repeated along its size-1 dimensions to `target` (broadcast, copied).
    public func expand(to target: [Int]) -> Tensor {
        if shape == target { return self }
        guard Broadcast.shape(shape, target) == target else { engineFailure("cannot expand \(shape) to \(target)") }
        let zero = Tensor(zeros: target)
        let sourceShape = shape
        return Tensor.binaryKernel(zero, self, .add).recorded("expand", [self]) { g in [g.sumTo(sourceShape)] }
    }

    /// Maximum along `axis` and the index where it is (the first, on ties).
    func maxKernel(axis: Int) -> (values: Tensor, indices: [Int]) {
        let (outer, n, inner) = split(at: axis)
        var outShape = shape; outShape[axis] = 1
        let out = Tensor(zeros: outShape, zeroed: false)
        var indices = [Int](repeating: 0, count: outer * inner)
        let p = data
        for i in 0..<outer {
            for j in 0..<inner {
                var best = p[i * n * inner + j], at = 0
                for k in 1..<Swift.max(n, 1) where p[(i * n + k) * inner + j] > best || best.isNaN {
                    if best.isNaN { break }
                    best = p[(i * n + k) * inner + j]; at = k
                }
                out.data[i * inner + j] = best
                indices[i * inner + j] = at
            }
        }
        return (out, indices)
    }

    /// Maximum along `axis`; the gradient flows to the position of the maximum.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let axis = normalizeAxis(axis, rank: rank)
        let (values, indices) = maxKernel(axis: axis)
        let (_, n, inner) = split(at: axis)
        let inputShape = shape
        let keptShape = values.shape
        let out = keepDims ? values : values.reshape(shape.enumerated().filter { $0.offset != axis }.map(\.element))
        return out.recorded("max", [self]) { g in
            let grad = Tensor(zeros: inputShape)
            let gd = g.data
            for (flat, k) in indices.enumerated() {
                let (i, j) = (flat / inner, flat % inner)
                grad.data[(i * n + k) * inner + j] += gd[flat]
            }
            _ = keptShape
            return [grad]
        }
    }

    /// The largest element.
    public func max() -> Float { (0..<count).reduce(-Float.infinity) { Swift.max($0, data[$1]) } }

    /// The smallest element.
    public func min() -> Float { (0..<count).reduce(Float.infinity) { Swift.min($0, data[$1]) } }

    /// Index of the maximum along `axis` (no gradient), as `argmax(dim=axis)`.
    public func argmax(axis: Int) -> [Int] { maxKernel(axis: normalizeAxis(axis, rank: rank)).indices }
}
