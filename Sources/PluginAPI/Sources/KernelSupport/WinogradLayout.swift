/// One Winograd F(2x2, 3x3) convolution's geometry, as its transforms see it: `channelsIn`
/// planes of inH x inW read with `padding` zeros around them, `channelsOut` planes of
/// outH x outW written, for `n` images. The engine's `WinogradConv` makes the plans; the kernel
/// sets transform tiles by them (`KernelSetImplementation.winogradInput` and the others).
public struct WinogradPlan: Sendable {
    public var n, channelsIn, channelsOut, inH, inW, outH, outW, padding: Int

    public init(n: Int, channelsIn: Int, channelsOut: Int, inH: Int, inW: Int, outH: Int, outW: Int, padding: Int) {
        (self.n, self.channelsIn, self.channelsOut, self.inH, self.inW, self.outH, self.outW, self.padding) =
            (n, channelsIn, channelsOut, inH, inW, outH, outW, padding)
    }

    /// Rows and columns of 2 x 2 output tiles (the last ones clipped to the plane).
    @inlinable public var tilesH: Int { (outH + 1) / 2 }
    @inlinable public var tilesW: Int { (outW + 1) / 2 }
    @inlinable public var tilesPerImage: Int { tilesH * tilesW }
    /// Row length of the zero-padded scratch copy of a plane: whole 8-tile vectors plus room
    /// for the 16-float loads that split even and odd columns.
    @inlinable public var scratchWidth: Int { 2 * ((tilesW + 7) / 8 * 8) + 16 }
    @inlinable public var scratchHeight: Int { 2 * tilesH + 2 }
}

/// Where the transformed value of (ξ, channel, tile) lives among the 16 matrices of a group of
/// images, ξ = 4 r + k indexing the 4 x 4 transformed tile.
public enum WinogradTileLayout: Sendable {
    /// B operand of M_ξ = U_ξ V_ξ (k = channel, n = tile): panels of 16 tiles,
    /// [ξ][tile / 16][channel][tile % 16], the panels GEMM's 6 x 16 micro-kernel reads. The last
    /// panel's lanes past the last tile are never written: the products read them, but their
    /// columns of M are never transformed back.
    case tilePanels(channels: Int, tiles: Int)
    /// An operand of dU_ξ = Z_ξ V_ξᵀ: one row of tiles per (ξ, channel), [ξ][channel][tile].
    case rows(channels: Int, tiles: Int)

    /// Columns of a panel (`GEMM.nr`).
    public static let panelWidth = 16

    /// Tiles per row of a matrix, padded to whole panels for `.tilePanels`.
    @inlinable public var paddedTiles: Int {
        switch self {
        case .tilePanels(_, let tiles): return (tiles + Self.panelWidth - 1) / Self.panelWidth * Self.panelWidth
        case .rows(_, let tiles): return tiles
        }
    }

    /// Floats in all 16 matrices.
    @inlinable public var count: Int {
        switch self {
        case .tilePanels(let channels, _): return 16 * channels * paddedTiles
        case .rows(let channels, let tiles): return 16 * channels * tiles
        }
    }

    /// The index of (ξ, channel, tile).
    @inlinable @inline(__always)
    public func offset(_ xi: Int, channel: Int, tile: Int) -> Int {
        switch self {
        case .tilePanels(let channels, _):
            let panels = paddedTiles / Self.panelWidth
            return ((xi * panels + tile / Self.panelWidth) * channels + channel) * Self.panelWidth + tile % Self.panelWidth
        case .rows(let channels, let tiles):
            return (xi * channels + channel) * tiles + tile
        }
    }
}
