import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.0 server on 127.0.0.1 for the download tests: answers GET requests for the
/// paths it was given with their bytes and 404 otherwise, one connection at a time, on a
/// thread of its own until `stop()`. `endlessPath` answers with a body that announces no
/// length and goes on until the client hangs up (bounded at 64 MB, so the server stops by itself).
/// A `Range: bytes=N-` request gets `206` with the bytes from N and a `Content-Range`, or `416`
/// when N is past the end, unless `ignoreRanges` was called for the path; `cut` makes the next
/// answer for a path hang up after some bytes of its body. `ranges` lists what was asked.
final class LocalHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let socketFD: Int32
    private let files: [String: [UInt8]]
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var requested: [(path: String, range: String?)] = []
    private var cuts: [String: Int] = [:]
    private var rangeIgnored: Set<String> = []

    /// Binds an ephemeral port on 127.0.0.1 and starts serving `files` (path -> body).
    init(files: [String: [UInt8]]) throws {
        self.files = files
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        socketFD = fd
        Thread.detachNewThread { [self] in serve() }
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The Range header of every request for `path` so far, in order (nil: none).
    func ranges(_ path: String) -> [String?] {
        lock.withLock { requested.filter { $0.path == path }.map(\.range) }
    }

    /// The next answer for `path` sends `bytes` bytes of its body (announcing all of it) and hangs up.
    func cut(_ path: String, after bytes: Int) { lock.withLock { cuts[path] = bytes } }

    /// Answers for `path` send the whole body with `200`, whatever Range asks (an old server).
    func ignoreRanges(_ path: String) { _ = lock.withLock { rangeIgnored.insert(path) } }

    /// The path whose body never announces its length nor ends (until 64 MB).
    static let endlessPath = "/endless"

    private func answerEndlessly(_ client: Int32) {
        let head = Array("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        guard head.withUnsafeBytes({ write(client, $0.baseAddress, $0.count) }) == head.count else { return }
        let chunk = [UInt8](repeating: 0x5a, count: 65536)
        for _ in 0..<1024 {
            guard chunk.withUnsafeBytes({ write(client, $0.baseAddress, $0.count) }) > 0 else { return }
        }
    }

    /// Stops accepting connections and waits for the serving thread to end.
    func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        finished.wait()
    }

    private func serve() {
        defer { finished.signal() }
        while true {
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { return }
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let n = read(client, &buffer, buffer.count)
            guard n > 0 else { return }
            request += buffer[0..<n]
        }
        let lines = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n")
        let line = lines[0].split(separator: " ")
        let path = line.count > 1 ? String(line[1]) : "/"
        let range = lines.dropFirst().first { $0.lowercased().hasPrefix("range:") }.map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) }
        let (cut, ignoresRange): (Int?, Bool) = lock.withLock {
            requested.append((path, range))
            return (cuts.removeValue(forKey: path), rangeIgnored.contains(path))
        }
        if path == Self.endlessPath { return answerEndlessly(client) }
        let head: String, body: [UInt8]
        if let file = files[path] {
            let from = range.flatMap { $0.hasPrefix("bytes=") && $0.hasSuffix("-") ? Int($0.dropFirst(6).dropLast()) : nil }
            if let from, !ignoresRange, from >= file.count {
                (head, body) = ("HTTP/1.0 416 Range Not Satisfiable\r\nContent-Range: bytes */\(file.count)\r\nContent-Length: 0\r\n\r\n", [])
            } else if let from, !ignoresRange {
                head = "HTTP/1.0 206 Partial Content\r\nContent-Range: bytes \(from)-\(file.count - 1)/\(file.count)\r\n"
                    + "Content-Length: \(file.count - from)\r\nContent-Type: application/octet-stream\r\n\r\n"
                body = Array(file[from...])
            } else {
                (head, body) = ("HTTP/1.0 200 OK\r\nContent-Length: \(file.count)\r\nContent-Type: application/octet-stream\r\n\r\n", file)
            }
        } else {
            (head, body) = ("HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\n", Array("not found".utf8))
        }
        let bytes = Array(head.utf8) + body.prefix(cut ?? body.count)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            sent += n
        }
    }
}
