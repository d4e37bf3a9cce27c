/// Rows of cells as aligned plain text, for logs, notes and `.txt` files: each column padded
/// to its widest cell (counted in Characters, so `W̄` is one), columns joined by two spaces.
/// Columns in `rightAligned` are padded on the left; other columns on the right, except a
/// row's last cell, which is left as it is (no trailing spaces). Rows may have fewer cells.
public enum TextTable {
    /// The rows as aligned text, one line each, joined by newlines without a final one; `separator`
    /// goes between columns.
    public static func aligned(_ rows: [[String]], rightAligned: Set<Int> = [], separator: String = "  ") -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let fill = String(repeating: " ", count: widths[c] - cell.count)
                if rightAligned.contains(c) { return fill + cell }
                return c == row.count - 1 ? cell : cell + fill
            }.joined(separator: separator)
        }.joined(separator: "\n")
    }
}
