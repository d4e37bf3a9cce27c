// The harnesses read, they never write: this stands in for Formats/AtomicFile.swift (which the
// NPY and PNG writers call) so that the readers compile without the rest of the runtime.
import Foundation

enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        fatalError("the fuzz harnesses do not write files")
    }
}
