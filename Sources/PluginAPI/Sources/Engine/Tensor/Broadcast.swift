
/// NumPy/PyTorch broadcasting of shapes, and the reduction that undoes it in backward.
enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when they do not broadcast.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard da == db || da == 1 || db == 1 else { return nil }
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Element strides of `shape` read as `target` (0 along broadcast dimensions).
    static func strides(of shape: [Int], as target: [Int]) -> [Int] {
        let offset = target.count - shape.count
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i + offset] = shape[i] == 1 ? 0 : step
            step *= shape[i]
        }
        return strides
    }
}

extension Tensor {
    /// Sums this tensor down to `target`, the shape it was broadcast from (for gradients).
    func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let offset = rank - target.count
        var axes: [Int] = Array(0..<offset)
        for (i, d) in target.enumerated() where d == 1 && shape[i + offset] != 1 { axes.append(i + offset) }
        return sum(axes: axes, keepDims: true).reshape(target)
    }
}

/// Visits every element of the broadcast of two operands: `body(outIndex, aIndex, bIndex,
/// run, aStep, bStep)` is called for runs along the last dimension.
@inline(__always)
func forEachBroadcastRun(_ shape: [Int], _ sa: [Int], _ sb: [Int],
                         _ body: (_ out: Int, _ a: Int, _ b: Int, _ run: Int, _ aStep: Int, _ bStep: Int) -> Void) {
    let rank = shape.count
    if rank == 0 { body(0, 0, 0, 1, 0, 0); return }
    let run = shape[rank - 1]
    let outer = shape.reduce(1, *) / max(run, 1)
    if run == 0 { return }
    var index = [Int](repeating: 0, count: rank)
    var (ia, ib) = (0, 0)
    for o in 0..<outer {
        body(o * run, ia, ib, run, sa[rank - 1], sb[rank - 1])
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            ia += sa[axis]; ib += sb[axis]
            if index[axis] < shape[axis] { break }
            ia -= sa[axis] * shape[axis]; ib -= sb[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}
