/// The number of values an array of a shape read from a file holds, for the readers (NPY, IDX).
public enum ShapeCount {
    /// The product of the sizes, or nil when it does not fit in an `Int`. A zero size makes the
    /// count 0 but does not excuse the other sizes: their product must fit too, since code that
    /// multiplies part of the shape (a row's length, an image's pixels) would overflow.
    /// Sizes are non-negative (the readers parse them as such).
    public static func elements(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: max(size, 1))
            if overflow { return nil }
            count = product
        }
        return shape.contains(0) ? 0 : count
    }
}
