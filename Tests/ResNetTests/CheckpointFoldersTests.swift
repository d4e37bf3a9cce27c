import Foundation
import PluginAPI
import ResNet
import XCTest

/// Replacing a checkpoint survives a crash at every step, and a full disk leaves nothing behind.
final class CheckpointFoldersTests: XCTestCase {
    let fm = FileManager.default

    func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "checkpoint-folders-\(UUID().uuidString.prefix(8))"
        try? fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A copy for `epochs`: files whose contents all name the epochs, one in a sub-folder.
    func writeCopy(epochs: Int) -> (String) throws -> Void {
        { folder in
            for name in ["a.npy", "b.npy", "momentum/0.npy", "state.json"] {
                try AtomicFile.write(String(repeating: "epochs \(epochs);", count: 50 + name.count), to: folder + "/" + name)
            }
        }
    }

    /// The copy `latest()` picks is complete and self-consistent: every file is of one epoch.
    func assertConsistent(_ copies: CheckpointFolders, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let (path, epochs) = try XCTUnwrap(copies.latest(), "no complete copy: " + message, file: file, line: line)
        for name in ["a.npy", "b.npy", "momentum/0.npy", "state.json"] {
            let text = String(decoding: try XCTUnwrap(fm.contents(atPath: path + "/" + name), message, file: file, line: line), as: UTF8.self)
            XCTAssertEqual(text, String(repeating: "epochs \(epochs);", count: 50 + name.count), "\(path)/\(name): \(message)", file: file, line: line)
        }
        return epochs
    }

    func testACrashAfterAnyStepLeavesACompleteCopyAndTheNextSaveRecovers() throws {
        for step in CheckpointFolders.Step.allCases {
            let copies = CheckpointFolders(parent: temporaryFolder())
            try copies.replace(epochs: 1, write: writeCopy(epochs: 1))
            XCTAssertThrowsError(try copies.replace(epochs: 2, write: writeCopy(epochs: 2)) { if $0 == step { throw CheckpointCrash($0) } })
            let found = try assertConsistent(copies, "crash after \(step)")
            // Once the new copy is marked complete it is the newest complete one.
            XCTAssertEqual(found, step.rawValue >= CheckpointFolders.Step.markedComplete.rawValue ? 2 : 1, "crash after \(step)")
            try copies.replace(epochs: 3, write: writeCopy(epochs: 3))
            XCTAssertEqual(try assertConsistent(copies, "save after a crash after \(step)"), 3)
            XCTAssertEqual(copies.latest()?.path, copies.current)
            XCTAssertEqual(try fm.contentsOfDirectory(atPath: copies.parent), ["checkpoint"], "nothing left behind after \(step)")
        }
    }

    func testACrashHalfWayThroughWritingKeepsTheOldCopy() throws {
        let copies = CheckpointFolders(parent: temporaryFolder())
        try copies.replace(epochs: 1, write: writeCopy(epochs: 1))
        XCTAssertThrowsError(try copies.replace(epochs: 2, write: { folder in
            try AtomicFile.write("half", to: folder + "/a.npy")
            throw CheckpointCrash(.wroteFiles)
        }))
        XCTAssertEqual(try assertConsistent(copies, "crash while writing"), 1)
        XCTAssertTrue(fm.fileExists(atPath: copies.staging), "a crash leaves the partial copy, which is never taken")
    }

    func testAnIncompleteOrHalfDeletedCopyIsNeverTaken() throws {
        let copies = CheckpointFolders(parent: temporaryFolder())
        try copies.replace(epochs: 4, write: writeCopy(epochs: 4))
        try fm.copyItem(atPath: copies.current, toPath: copies.previous)
        try fm.removeItem(atPath: copies.current + "/b.npy")
        XCTAssertNil(CheckpointFolders.completedEpochs(copies.current), "a listed file is missing")
        XCTAssertEqual(copies.latest()?.path, copies.previous)
        try AtomicFile.write("short", to: copies.previous + "/a.npy")
        XCTAssertNil(copies.latest(), "a listed file has the wrong size")
        try fm.removeItem(atPath: copies.previous + "/" + CheckpointFolders.marker)
        XCTAssertNil(CheckpointFolders.completedEpochs(copies.previous), "no marker")
    }

    /// A writer that fails as a full disk does after `allowed` bytes.
    func fullDisk(after allowed: Int) -> AtomicFile.Writer {
        var written = 0
        return { fd, bytes in
            if written >= allowed {
                // /dev/full answers every write with ENOSPC, where the system has it.
                let full = open("/dev/full", O_WRONLY)
                if full >= 0 {
                    defer { close(full) }
                    return AtomicFile.systemWriter(full, bytes)
                }
                errno = ENOSPC
                return -1
            }
            let n = AtomicFile.systemWriter(fd, UnsafeRawBufferPointer(rebasing: bytes.prefix(allowed - written)))
            written += max(0, n)
            return n
        }
    }

    func testAFullDiskLeavesNoTemporaryFileAndSaysSo() throws {
        let folder = temporaryFolder()
        for allowed in [0, 100] {
            XCTAssertThrowsError(try AtomicFile.write(Data(count: 10_000), to: folder + "/x.npy", using: fullDisk(after: allowed))) { error in
                XCTAssertTrue("\(error)".contains("cannot write \(folder)/x.npy: no space left on device"), "\(error)")
                XCTAssertTrue(("\(error)" + ((error as? PluginError)?.hint ?? "")).contains("free some space"), "\(error)")
            }
            XCTAssertEqual(try fm.contentsOfDirectory(atPath: folder), [], "no temporary file left")
        }
        try AtomicFile.write("old", to: folder + "/x.npy")
        XCTAssertThrowsError(try AtomicFile.write(Data(count: 10_000), to: folder + "/x.npy", using: fullDisk(after: 10)))
        XCTAssertEqual(fm.contents(atPath: folder + "/x.npy"), Data("old".utf8), "the old file is untouched")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: folder), ["x.npy"])
    }

    func testAFullDiskWhileCheckpointingKeepsTheOldCopyAndLeavesNothingElse() throws {
        let copies = CheckpointFolders(parent: temporaryFolder())
        try copies.replace(epochs: 1, write: writeCopy(epochs: 1))
        XCTAssertThrowsError(try copies.replace(epochs: 2, write: { folder in
            try AtomicFile.write("fits", to: folder + "/a.npy")
            try AtomicFile.write(Data(count: 100_000), to: folder + "/b.npy", using: self.fullDisk(after: 4096))
        })) { error in
            XCTAssertTrue("\(error)".contains("no space left on device"), "\(error)")
        }
        XCTAssertEqual(try assertConsistent(copies, "disk full"), 1)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: copies.parent), ["checkpoint"], "the partial copy is removed")
    }
}
