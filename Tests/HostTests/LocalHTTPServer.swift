import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.0 server on 127.0.0.1 for the download tests: answers GET requests for the
/// paths it was given with their bytes and 404 otherwise, one connection at a time, on a
/// thread of its own until `stop()`. `endlessPath` answers with a body that announces no
/// length and goes on until the client hangs up (bounded at 64 MB, so the server stops by itself).
final class LocalHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let socketFD: Int32
    private let files: [String: [UInt8]]
    private let finished = DispatchSemaphore(value: 0)

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
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let path = line.count > 1 ? String(line[1]) : "/"
        if path == Self.endlessPath { return answerEndlessly(client) }
        let body = files[path]
        let head = body.map { "HTTP/1.0 200 OK\r\nContent-Length: \($0.count)\r\nContent-Type: application/octet-stream\r\n\r\n" }
            ?? "HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\n"
        let bytes = Array(head.utf8) + (body ?? Array("not found".utf8))
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            sent += n
        }
    }
}
