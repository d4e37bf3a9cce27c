import Formats
import Kernels

/// Reshape, permute, transpose, slice, concatenate, row gathering: with gradients.
extension Tensor {
    /// The same values in a new shape (one dimension may be -1); shares storage.
    public func reshape(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let unknown = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            target[unknown] = known == 0 ? 0 : count / known
        }
        engineCheck(target.reduce(1, *) == count, "cannot reshape \(shape) (\(count) values) to \(newShape)")
        if target == shape { return self }
        let sourceShape = shape
        return Tensor(shape: target, storage: storage).recorded("reshape", [self]) { g in [g.reshape(sourceShape)] }
    }

    /// Flattens dimensions from `startDim` on: (N, C, H, W) -> (N, C*H*W) by default.
    public func flatten(startDim: Int = 1) -> Tensor {
        let s = normalizeAxis(startDim, rank: rank)
        return reshape(Array(shape[..<s]) + [shape[s...].reduce(1, *)])
    }

    /// Inserts a size-1 dimension at `axis`.
    public func unsqueeze(_ axis: Int) -> Tensor {
        var s = shape
        s.insert(1, at: axis < 0 ? axis + rank + 1 : axis)
        return reshape(s)
    }

    /// Reorders dimensions (a copy): `permute([0, 2, 3, 1])` turns NCHW into NHWC.
    public func permute(_ order: [Int]) -> Tensor {
        engineCheck(order.sorted() == Array(0..<rank), "permute order \(order) is not a permutation of 0..<\(rank)")
        let outShape = order.map { shape[$0] }
        let out = Tensor(zeros: outShape, zeroed: false)
        if order == [1, 0] {   // a matrix transpose: the kernel's register blocks
            let (rows, cols) = (shape[0], shape[1])
            capturedKernel("transpose") { [storage, target = out.storage] in
                VectorMath.transpose(storage.base, rows: rows, cols: cols, into: target.base)
            }
            return out.recorded("permute", [self]) { g in [g.permute([1, 0])] }
        }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let srcStrides = order.map { inStrides[$0] }
        forEachBroadcastRun(outShape, srcStrides, srcStrides) { o, ia, _, run, step, _ in
            for j in 0..<run { out.data[o + j] = self.data[ia + j * step] }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, axis) in order.enumerated() { inverse[axis] = i }
        return out.recorded("permute", [self]) { g in [g.permute(inverse)] }
    }

    /// Swaps two dimensions (a copy).
    public func transpose(_ a: Int, _ b: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizeAxis(a, rank: rank), normalizeAxis(b, rank: rank))
        return permute(order)
    }

    /// The transpose of a matrix.
    public var T: Tensor { transpose(0, 1) }

    /// Elements `range` along `axis` (a copy), as `x.narrow(axis, start, length)`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = normalizeAxis(axis, rank: rank)
        let (outer, n, inner) = split(at: axis)
        engineCheck(range.lowerBound >= 0 && range.upperBound <= n, "slice \(range) is out of 0..<\(n) on axis \(axis)")
        var outShape = shape; outShape[axis] = range.count
        let out = Tensor(zeros: outShape, zeroed: false)
        let width = range.count * inner
        for i in 0..<outer {
            (out.data + i * width).update(from: data + (i * n + range.lowerBound) * inner, count: width)
        }
        let inputShape = shape
        return out.recorded("slice", [self]) { g in
            let grad = Tensor(zeros: inputShape)
            for i in 0..<outer { (grad.data + (i * n + range.lowerBound) * inner).update(from: g.data + i * width, count: width) }
            return [grad]
        }
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        engineCheck(!tensors.isEmpty, "concat of no tensors")
        let first = tensors[0]
        let axis = normalizeAxis(axis, rank: first.rank)
        var outShape = first.shape
        outShape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
        for t in tensors {
            var s = t.shape; s[axis] = outShape[axis]
            engineCheck(s == outShape, "concat: shape \(t.shape) does not match \(first.shape) outside axis \(axis)")
        }
        let out = Tensor(zeros: outShape, zeroed: false)
        let outer = outShape[..<axis].reduce(1, *), inner = outShape[(axis + 1)...].reduce(1, *)
        var offset = 0
        for t in tensors {
            let width = t.shape[axis] * inner
            for i in 0..<outer {
                (out.data + i * outShape[axis] * inner + offset).update(from: t.data + i * width, count: width)
            }
            offset += width
        }
        let sizes = tensors.map { $0.shape[axis] }
        return out.recorded("concat", tensors) { g in
            var start = 0
            return sizes.map { size in
                defer { start += size }
                return g.slice(axis: axis, start..<start + size)
            }
        }
    }

    /// Rows `indices` of the first dimension (a copy), as `x[indices]`.
    public func rows(_ indices: [Int]) -> Tensor {
        let inner = count / Swift.max(shape[0], 1)
        var outShape = shape; outShape[0] = indices.count
        let out = Tensor(zeros: outShape, zeroed: false)
        for (r, i) in indices.enumerated() {
            engineCheck(i >= 0 && i < shape[0], "row \(i) is out of 0..<\(shape[0])")
            (out.data + r * inner).update(from: data + i * inner, count: inner)
        }
        let inputShape = shape
        return out.recorded("rows", [self]) { g in
            let grad = Tensor(zeros: inputShape)
            for (r, i) in indices.enumerated() {
                for j in 0..<inner { grad.data[i * inner + j] += g.data[r * inner + j] }
            }
            return [grad]
        }
    }

    /// Rows `range` of the first dimension.
    public func rows(_ range: Range<Int>) -> Tensor { slice(axis: 0, range) }
}
