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

    /// Parses `--url`, `--md5`, `--archive` and `--dir`.
    public static func parse(_ options: [String]) -> Result<Settings, HostError> {
        var settings = Settings()
        var i = 0
        while i < options.count {
            let token = options[i]
            let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            let known = ["--url", "--md5", "--archive", "--dir"]
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

    /// Downloads (unless `settings.archive` is given), checks and unpacks; returns the folder.
    public static func fetch(_ settings: Settings, say: @escaping (String) -> Void = { _ in }) -> Result<String, HostError> {
        let bytes: [UInt8], source: String
        if let archive = settings.archive {
            guard let data = FileManager.default.contents(atPath: archive) else {
                return .failure(HostError("\(archive) is missing or unreadable", hint: "give the path of cifar-10-binary.tar.gz downloaded from \(CIFAR10.archiveURL)"))
            }
            (bytes, source) = ([UInt8](data), archive)
        } else {
            say("downloading \(settings.url)")
            switch Download.bytes(from: settings.url, progress: say) {
            case .failure(let error):
                return .failure(HostError("cannot download \(settings.url): \(error.message)",
                                          hint: "with no network, download \(CIFAR10.archiveURL) elsewhere, copy it here and run `host fetch cifar10 --archive PATH`"))
            case .success(let data): (bytes, source) = (data, settings.url)
            }
        }
        say("checking MD5 and unpacking \(bytes.count / 1_000_000) MB into \(settings.root)")
        do {
            return .success(try CIFAR10.install(archive: bytes, expectedMD5: settings.md5, into: settings.root, source: source))
        } catch let error as PluginError {
            return .failure(HostError(error.message, hint: error.hint, exitCode: ExitCode.failure))
        } catch {
            return .failure(HostError("cannot write into \(settings.root): \(error.localizedDescription)",
                                      hint: "check that the folder is writable, or choose another with --dir", exitCode: ExitCode.failure))
        }
    }
}

/// A blocking HTTP(S) download into memory with progress lines.
enum Download {
    struct Failure: Error { var message: String }

    static func bytes(from address: String, progress: @escaping (String) -> Void) -> Result<[UInt8], Failure> {
        guard let url = URL(string: address), let scheme = url.scheme, ["http", "https"].contains(scheme) else {
            return .failure(Failure(message: "'\(address)' is not an http or https address"))
        }
        let collector = Collector(progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: collector, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: URLRequest(url: url, timeoutInterval: 60)).resume()
        collector.done.wait()
        return collector.result
    }

    /// Collects the body as it arrives and reports every 10% (or every 16 MB without a length).
    final class Collector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        let progress: (String) -> Void
        var body: [UInt8] = []
        var expected: Int64 = -1
        var status = 0
        var reported = 0
        var result: Result<[UInt8], Failure> = .failure(Failure(message: "no response"))

        init(progress: @escaping (String) -> Void) { self.progress = progress }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            status = (response as? HTTPURLResponse)?.statusCode ?? 200
            expected = response.expectedContentLength
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            body.append(contentsOf: data)
            let step = expected > 0 ? Int(expected / 10) : 16 << 20
            if step > 0 && body.count / step > reported {
                reported = body.count / step
                let total = expected > 0 ? " of \(expected / 1_000_000)" : ""
                progress("  \(body.count / 1_000_000)\(total) MB")
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            if let error {
                result = .failure(Failure(message: error.localizedDescription))
            } else if !(200..<300).contains(status) {
                result = .failure(Failure(message: "the server answered HTTP \(status)"))
            } else if expected > 0 && Int64(body.count) != expected {
                result = .failure(Failure(message: "the download stopped after \(body.count) of \(expected) bytes"))
            } else {
                result = .success(body)
            }
            done.signal()
        }
    }
}
