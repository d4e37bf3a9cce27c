import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PluginAPI

/// `host fetch cifar10`: downloads CIFAR-10's binary archive (or takes a manual download with
/// `--archive`), checks its MD5, and unpacks it into the data folder the CIFAR experiments read
/// by default. A failed download or a bad archive leaves nothing behind.
public enum FetchCommand {
    /// The data sets `host fetch` knows.
    public static let datasets = ["cifar10"]

    /// What to fetch and where to put it.
    public struct Settings: Equatable {
        public var url = CIFAR10.archiveURL
        public var md5 = CIFAR10.archiveMD5
        public var archive: String?
        public var root = CIFAR10.defaultDataRoot
        /// The most bytes a download may bring (the official archive is 170 MB).
        public var maxDownload = CIFAR10.maxArchiveSize
        /// Download and unpack even when the folder already holds a complete copy.
        public var force = false
    }

    static func run(dataset: String, options: [String], globals: GlobalOptions) -> Result<Int32, HostError> {
        guard datasets.contains(dataset) else {
            return .failure(HostError("`host fetch` does not know '\(dataset)'", hint: "data sets to fetch: \(datasets.joined(separator: ", "))"))
        }
        switch parse(options) {
        case .failure(let error): return .failure(error)
        case .success(let settings):
            let say: (String) -> Void = globals.quiet ? { _ in } : { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            return fetch(settings, say: say).map { folder in
                if globals.json {
                    print(JSON.object([("dataset", .string(dataset)), ("folder", .string(folder))]).text())
                } else {
                    print("CIFAR-10 is in \(folder)")
                }
                return ExitCode.success
            }
        }
    }

    /// Parses `--url`, `--md5`, `--archive`, `--dir` and `--force`.
    public static func parse(_ options: [String]) -> Result<Settings, HostError> {
        var settings = Settings()
        var i = 0
        while i < options.count {
            let token = options[i]
            if token == "--force" { settings.force = true; i += 1; continue }
            let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            let known = ["--url", "--md5", "--archive", "--dir", "--force"]
            guard known.contains(name) else {
                return .failure(HostError("`host fetch` has no option \(token)", hint: "its options are \(known.joined(separator: ", "))"))
            }
            var value: String
            if parts.count == 2 { value = parts[1] } else {
                guard i + 1 < options.count else { return .failure(HostError("\(name) needs a value", hint: "see `host --help`")) }
                i += 1
                value = options[i]
            }
            switch name {
            case "--url": settings.url = value
            case "--md5":
                value = value.lowercased()
                guard value.count == 32, value.allSatisfy(\.isHexDigit) else {
                    return .failure(HostError("--md5: '\(value)' is not 32 hex digits", hint: "the default is CIFAR-10's published \(CIFAR10.archiveMD5)"))
                }
                settings.md5 = value
            case "--archive": settings.archive = value
            default: settings.root = value
            }
            i += 1
        }
        return .success(settings)
    }

    /// Downloads (unless `settings.archive` is given) into `<root>/cifar-10-binary.tar.gz.part`
    /// (streamed to disk, at most `CIFAR10.maxArchiveSize` bytes), checks and unpacks; the
    /// `.part` file is removed whatever happens. Bad or damaged data exits 2; a download that
    /// fails (network, server) and a folder that cannot be written exit 1. Returns the folder.
    public static func fetch(_ settings: Settings, say: @escaping (String) -> Void = { _ in }) -> Result<String, HostError> {
        let installed = (settings.root as NSString).appendingPathComponent(CIFAR10.folderName)
        if !settings.force, settings.archive == nil, CIFAR10.isCompleteInstall(installed) {
            say("CIFAR-10 is already installed in \(installed) (its six batch files are complete); --force downloads it again")
            return .success(installed)
        }
        let file: String, source: String
        var partial: String?
        defer { if let partial { try? FileManager.default.removeItem(atPath: partial) } }
        if let archive = settings.archive {
            guard FileManager.default.isReadableFile(atPath: archive) else {
                return .failure(HostError("\(archive) is missing or unreadable", hint: "give the path of cifar-10-binary.tar.gz downloaded from \(CIFAR10.archiveURL)"))
            }
            (file, source) = (archive, archive)
        } else {
            let part = (settings.root as NSString).appendingPathComponent("cifar-10-binary.tar.gz.part")
            do { try FileManager.default.createDirectory(atPath: settings.root, withIntermediateDirectories: true) } catch {
                return .failure(HostError("cannot create \(settings.root): \(error.localizedDescription)",
                                          hint: "check that the folder is writable, or choose another with --dir", exitCode: ExitCode.failure))
            }
            partial = part
            say("downloading \(settings.url)")
            if case .failure(let error) = Download.file(from: settings.url, to: part, limit: settings.maxDownload, progress: say) {
                return .failure(HostError("cannot download \(settings.url): \(error.message)",
                                          hint: "with no network, download \(CIFAR10.archiveURL) elsewhere, copy it here and run `host fetch cifar10 --archive PATH`",
                                          exitCode: ExitCode.failure))
            }
            (file, source) = (part, settings.url)
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.intValue ?? 0
        say("checking MD5 and unpacking \(size / 1_000_000) MB into \(settings.root)")
        do {
            return .success(try CIFAR10.install(archiveAt: file, expectedMD5: settings.md5, into: settings.root, source: source))
        } catch let error as PluginError {
            return .failure(HostError(error.message, hint: error.hint, exitCode: error.kind == .invalidInput ? ExitCode.usage : ExitCode.failure))
        } catch {
            return .failure(HostError("cannot write into \(settings.root): \(error.localizedDescription)",
                                      hint: "check that the folder is writable, or choose another with --dir", exitCode: ExitCode.failure))
        }
    }
}

/// A blocking HTTP(S) download streamed into a file, with progress lines and a size cap.
enum Download {
    struct Failure: Error { var message: String }

    /// Downloads `address` into `path` (replaced), refusing more than `limit` bytes.
    static func file(from address: String, to path: String, limit: Int, progress: @escaping (String) -> Void) -> Result<Void, Failure> {
        guard let url = URL(string: address), let scheme = url.scheme, ["http", "https"].contains(scheme) else {
            return .failure(Failure(message: "'\(address)' is not an http or https address"))
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            return .failure(Failure(message: "cannot create \(path)"))
        }
        defer { try? handle.close() }
        let collector = Collector(handle: handle, limit: limit, progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: collector, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        session.dataTask(with: URLRequest(url: url, timeoutInterval: 60)).resume()
        collector.done.wait()
        return collector.result
    }

    /// Writes the body to disk as it arrives, stops past `limit` bytes, and reports every 10%
    /// (or every 16 MB without a length).
    final class Collector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        let handle: FileHandle
        let limit: Int
        let progress: (String) -> Void
        var received = 0
        var expected: Int64 = -1
        var status = 0
        var reported = 0
        var failure: Failure?
        var result: Result<Void, Failure> = .failure(Failure(message: "no response"))
        let stopwatch = Stopwatch()

        /// "51 of 170 MB, 12.3 MB/s, 0:10 left" (without a length: "51 MB, 12.3 MB/s").
        static func line(received: Int, expected: Int64, seconds: Double) -> String {
            let rate = Double(received) / max(seconds, 1e-3)
            var text = "\(received / 1_000_000)" + (expected > 0 ? " of \(expected / 1_000_000)" : "") + " MB, "
                + String(format: "%.1f MB/s", rate / 1e6)
            if expected > 0, rate > 0 {
                let left = Int((Double(expected) - Double(received)) / rate)
                text += ", " + clock(Double(left)) + " left"
            }
            return text
        }

        init(handle: FileHandle, limit: Int, progress: @escaping (String) -> Void) {
            self.handle = handle
            self.limit = limit
            self.progress = progress
        }

        func tooLarge(_ size: Int64?) -> Failure {
            let what = size.map { "\($0) bytes, more than" } ?? "more than"
            return Failure(message: "the server sends \(what) the limit of \(limit) bytes (a CIFAR-10 archive is 170 MB)")
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            status = (response as? HTTPURLResponse)?.statusCode ?? 200
            expected = response.expectedContentLength
            if expected > Int64(limit) {
                failure = tooLarge(expected)
                completionHandler(.cancel)
                return
            }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard failure == nil else { return }
            guard data.count <= limit - received else {
                failure = tooLarge(nil)
                dataTask.cancel()
                return
            }
            do { try handle.write(contentsOf: data) } catch {
                failure = Failure(message: "cannot write the download to disk: \(error.localizedDescription)")
                dataTask.cancel()
                return
            }
            received += data.count
            let step = expected > 0 ? Int(expected / 10) : 16 << 20
            if step > 0 && received / step > reported {
                reported = received / step
                progress("  " + Self.line(received: received, expected: expected, seconds: stopwatch.seconds))
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            if let failure {
                result = .failure(failure)
            } else if let error {
                result = .failure(Failure(message: error.localizedDescription))
            } else if !(200..<300).contains(status) {
                result = .failure(Failure(message: "the server answered HTTP \(status)"))
            } else if expected > 0 && Int64(received) != expected {
                result = .failure(Failure(message: "the download stopped after \(received) of \(expected) bytes"))
            } else {
                result = .success(())
            }
            done.signal()
        }
    }
}
