import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PluginAPI

/// A blocking HTTP(S) download streamed into a file that it resumes when the file already
/// holds a beginning, with progress lines and a size cap.
enum Download {
    /// What a failed download leaves in the file.
    enum Fate: Equatable {
        /// A network or server failure: what came is kept for the next try to resume.
        case resumable
        /// The server sent what cannot be the file (more than the cap): the file is to go.
        case discard
        /// Nothing was tried (a bad address, a file that cannot be opened): the file is as it was.
        case untouched
    }

    struct Failure: Error {
        var message: String
        var fate: Fate
        /// The size of the whole file when the server said it, else -1.
        var expected: Int64 = -1
    }

    /// How a download that did not fail ended.
    enum Outcome: Equatable {
        /// The file holds everything the server sent (all of it, or the rest after a resume).
        case complete
        /// The server answered a resume with 416: the file is already whole (or is not a
        /// beginning of the server's file): check it.
        case alreadyComplete
        /// The server resumed at another byte than asked (the reason): start again from nothing.
        case startOver(String)
    }

    /// Downloads `address` into `path`, refusing a file of more than `limit` bytes. When `path`
    /// holds N > 0 bytes (at most `limit`), asks for the rest with `Range: bytes=N-` and appends
    /// a `206` answer that starts at byte N; a `200` answer (a server that ignores ranges)
    /// replaces the file. A larger file is started again.
    static func file(from address: String, to path: String, limit: Int, progress: @escaping (String) -> Void) -> Result<Outcome, Failure> {
        guard let url = URL(string: address), let scheme = url.scheme, ["http", "https"].contains(scheme) else {
            return .failure(Failure(message: "'\(address)' is not an http or https address", fate: .untouched))
        }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            return .failure(Failure(message: "cannot create \(path)", fate: .untouched))
        }
        defer { try? handle.close() }
        var offset: Int
        do {
            offset = Int(try handle.seekToEnd())
            if offset > limit {
                try handle.truncate(atOffset: 0)
                offset = 0
            }
        } catch {
            return .failure(Failure(message: "cannot write \(path): \(error.localizedDescription)", fate: .untouched))
        }
        var request = URLRequest(url: url, timeoutInterval: 60)
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        let collector = Collector(handle: handle, offset: offset, limit: limit, progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: collector, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        session.dataTask(with: request).resume()
        collector.done.wait()
        return collector.result
    }

    /// The first byte and the total size (nil for `*`) of a `Content-Range: bytes A-B/T` header.
    static func contentRange(_ value: String) -> (start: Int, total: Int?)? {
        let parts = value.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bytes" else { return nil }
        let range = parts[1].split(separator: "/", maxSplits: 1)
        guard range.count == 2, let dash = range[0].firstIndex(of: "-"),
              let start = Int(range[0][..<dash]), let end = Int(range[0][range[0].index(after: dash)...]), start >= 0, end >= start else { return nil }
        if range[1] == "*" { return (start, nil) }
        guard let total = Int(range[1]), total > end else { return nil }
        return (start, total)
    }

    /// Writes the body to disk as it arrives, stops past `limit` bytes, and reports every 10%
    /// (or every 16 MB without a length).
    final class Collector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        let handle: FileHandle
        /// The bytes the file held before (asked for with a Range header when > 0).
        let offset: Int
        let limit: Int
        let progress: (String) -> Void
        /// The bytes in the file before this answer's body: `offset` when the server resumes, else 0.
        var start = 0
        /// The bytes in the file now.
        var received = 0
        /// The whole file's size when the server says it, else -1.
        var expected: Int64 = -1
        var status = 0
        var reported = 0
        var failure: Failure?
        var outcome: Outcome?
        var result: Result<Outcome, Failure> = .failure(Failure(message: "no response", fate: .resumable))
        let stopwatch = Stopwatch()

        /// "51 of 170 MB, 12.3 MB/s, 0:10 left" (without a length: "51 MB, 12.3 MB/s"); the
        /// rate counts the bytes after `from` (those of this session).
        static func line(received: Int, expected: Int64, seconds: Double, from: Int = 0) -> String {
            let rate = Double(received - from) / max(seconds, 1e-3)
            var text = "\(received / 1_000_000)" + (expected > 0 ? " of \(expected / 1_000_000)" : "") + " MB, "
                + String(format: "%.1f MB/s", rate / 1e6)
            if expected > 0, rate > 0 {
                let left = Int((Double(expected) - Double(received)) / rate)
                text += ", " + clock(Double(left)) + " left"
            }
            return text
        }

        init(handle: FileHandle, offset: Int, limit: Int, progress: @escaping (String) -> Void) {
            self.handle = handle
            self.offset = offset
            self.limit = limit
            self.progress = progress
        }

        func tooLarge(_ size: Int64?) -> Failure {
            let what = size.map { "\($0) bytes, more than" } ?? "more than"
            return Failure(message: "the server sends \(what) the limit of \(limit) bytes (a CIFAR-10 archive is 170 MB)", fate: .discard)
        }

        /// Decides from the status what to do with the body: append (206 at `offset`), replace
        /// the file (2xx), or stop (416 after a Range request, a 206 elsewhere, an error status).
        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            let http = response as? HTTPURLResponse
            status = http?.statusCode ?? 200
            let length = response.expectedContentLength
            switch status {
            case 206:
                let header = http?.allHeaderFields.first { ($0.key as? String)?.lowercased() == "content-range" }?.value as? String
                guard let range = header.flatMap(Download.contentRange), range.start == offset else {
                    outcome = .startOver("the server answered the resume at byte \(offset) with the range '\(header ?? "")'")
                    return completionHandler(.cancel)
                }
                start = offset
                expected = range.total.map(Int64.init) ?? (length >= 0 ? Int64(offset) + length : -1)
            case 200..<300:
                if offset > 0 {
                    do {
                        try handle.truncate(atOffset: 0)
                        try handle.seek(toOffset: 0)
                    } catch {
                        failure = Failure(message: "cannot write the download to disk: \(error.localizedDescription)", fate: .discard)
                        return completionHandler(.cancel)
                    }
                    progress("  the server does not resume downloads (HTTP \(status), not 206): starting from the beginning")
                }
                expected = length
            case 416 where offset > 0:
                outcome = .alreadyComplete
                return completionHandler(.cancel)
            default:
                failure = Failure(message: "the server answered HTTP \(status)", fate: .resumable)
                return completionHandler(.cancel)
            }
            received = start
            if expected > Int64(limit) {
                failure = tooLarge(expected)
                return completionHandler(.cancel)
            }
            let step = expected > 0 ? Int(expected / 10) : 16 << 20
            reported = step > 0 ? received / step : 0
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard failure == nil, outcome == nil else { return }
            guard data.count <= limit - received else {
                failure = tooLarge(nil)
                dataTask.cancel()
                return
            }
            do { try handle.write(contentsOf: data) } catch {
                failure = Failure(message: "cannot write the download to disk: \(error.localizedDescription)", fate: .resumable)
                dataTask.cancel()
                return
            }
            received += data.count
            let step = expected > 0 ? Int(expected / 10) : 16 << 20
            if step > 0 && received / step > reported {
                reported = received / step
                progress("  " + Self.line(received: received, expected: expected, seconds: stopwatch.seconds, from: start))
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            if var failure {
                failure.expected = expected
                result = .failure(failure)
            } else if let outcome {
                result = .success(outcome)
            } else if let error {
                result = .failure(Failure(message: error.localizedDescription, fate: .resumable, expected: expected))
            } else if expected > 0 && Int64(received) != expected {
                result = .failure(Failure(message: "the download stopped after \(received) of \(expected) bytes", fate: .resumable, expected: expected))
            } else {
                result = .success(.complete)
            }
            done.signal()
        }
    }
}
