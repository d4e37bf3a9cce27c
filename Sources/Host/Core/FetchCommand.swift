import Foundation
import PluginAPI

/// `host fetch cifar10`: downloads CIFAR-10's binary archive (or takes a manual download with
/// `--archive`), checks its MD5, and unpacks it into the data folder the CIFAR experiments read
/// by default. A bad archive leaves nothing behind; a download cut by the network leaves its
/// `.part` file, which the next run resumes (`Download`).
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
    /// (streamed to disk, at most `settings.maxDownload` bytes), checks the MD5 and unpacks
    /// (`CIFAR10.install(archiveAt:)`, in bounded memory). A download that the network or the
    /// server cuts keeps the `.part` file, and the next run resumes it with an HTTP Range
    /// request: a `206` answer is appended, a `200` (a server that ignores ranges) starts the
    /// file again, and a `416` (nothing past the end) means the part is whole: it is checked,
    /// and downloaded again once when the check fails. The `.part` file goes after an install,
    /// when its MD5 or unpacking fails (damaged data is never resumed), when the server sends
    /// more than the cap, and with `--force`. Bad or damaged data exits 2; a download that
    /// fails (network, server) and a folder that cannot be written exit 1. Returns the folder.
    public static func fetch(_ settings: Settings, say: @escaping (String) -> Void = { _ in }) -> Result<String, HostError> {
        let installed = (settings.root as NSString).appendingPathComponent(CIFAR10.folderName)
        if !settings.force, settings.archive == nil, CIFAR10.isCompleteInstall(installed) {
            say("CIFAR-10 is already installed in \(installed) (its six batch files are complete); --force downloads it again")
            return .success(installed)
        }
        if let archive = settings.archive {
            guard FileManager.default.isReadableFile(atPath: archive) else {
                return .failure(HostError("\(archive) is missing or unreadable", hint: "give the path of cifar-10-binary.tar.gz downloaded from \(CIFAR10.archiveURL)"))
            }
            return install(archive, source: archive, settings: settings, say: say)
        }
        let part = (settings.root as NSString).appendingPathComponent(partName)
        do { try FileManager.default.createDirectory(atPath: settings.root, withIntermediateDirectories: true) } catch {
            return .failure(HostError("cannot create \(settings.root): \(error.localizedDescription)",
                                      hint: "check that the folder is writable, or choose another with --dir", exitCode: ExitCode.failure))
        }
        if settings.force, FileManager.default.fileExists(atPath: part) {
            try? FileManager.default.removeItem(atPath: part)
            say("--force: discarded the partial download \(part)")
        }
        var startedOver = false
        while true {
            let kept = fileSize(part)
            say(kept > 0 ? "resuming \(settings.url) after the \(amount(kept)) in \(part)" : "downloading \(settings.url)")
            let outcome: Download.Outcome
            switch Download.file(from: settings.url, to: part, limit: settings.maxDownload, progress: say) {
            case .failure(let failure): return .failure(downloadFailure(failure, part: part, url: settings.url))
            case .success(let result): outcome = result
            }
            if case .startOver(let why) = outcome {
                try? FileManager.default.removeItem(atPath: part)
                guard !startedOver else {
                    return .failure(HostError("cannot download \(settings.url): \(why)", hint: manualHint, exitCode: ExitCode.failure))
                }
                say("\(why): downloading it again from the start")
                startedOver = true
                continue
            }
            if outcome == .alreadyComplete { say("the server has nothing past the \(amount(fileSize(part))) in \(part): checking it") }
            let result = install(part, source: settings.url, settings: settings, say: say)
            if case .failure(let error) = result, error.exitCode == ExitCode.usage {
                try? FileManager.default.removeItem(atPath: part)       // damaged data is never resumed
                if outcome == .alreadyComplete, !startedOver {
                    say("\(error.message): downloading it again from the start")
                    startedOver = true
                    continue
                }
            } else if case .success = result {
                try? FileManager.default.removeItem(atPath: part)
            }
            return result
        }
    }

    /// The name of the download in progress, in the data folder.
    static let partName = "cifar-10-binary.tar.gz.part"

    static let manualHint = "with no network, download \(CIFAR10.archiveURL) elsewhere, copy it here and run `host fetch cifar10 --archive PATH`"

    /// The error for a failed download; keeps the `.part` file for a resumable failure (and
    /// says how much it holds), removes it when the server sent what cannot be the archive.
    static func downloadFailure(_ failure: Download.Failure, part: String, url: String) -> HostError {
        var hint = manualHint
        switch failure.fate {
        case .resumable:
            let kept = fileSize(part)
            if kept > 0 {
                hint = "kept \(amount(kept, of: failure.expected)) in \(part); run the same command again to resume (or, \(manualHint))"
            } else {
                try? FileManager.default.removeItem(atPath: part)
            }
        case .discard: try? FileManager.default.removeItem(atPath: part)
        case .untouched: break
        }
        return HostError("cannot download \(url): \(failure.message)", hint: hint, exitCode: ExitCode.failure)
    }

    /// "51 of 170 MB", "51 MB" without a total, in bytes under a megabyte ("2048 of 5120 bytes").
    static func amount(_ bytes: Int, of total: Int64 = -1) -> String {
        let large = max(Int64(bytes), total) >= 1_000_000
        let show = { (n: Int64) in large ? "\(n / 1_000_000)" : "\(n)" }
        return show(Int64(bytes)) + (total > 0 ? " of " + show(total) : "") + (large ? " MB" : " bytes")
    }

    /// The size of the regular file at `path`; 0 when there is none.
    static func fileSize(_ path: String) -> Int {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular else { return 0 }
        return (attributes[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Checks and unpacks the archive `file` (downloaded from `source`) into `settings.root`.
    static func install(_ file: String, source: String, settings: Settings, say: (String) -> Void) -> Result<String, HostError> {
        say("checking MD5 and unpacking \(fileSize(file) / 1_000_000) MB into \(settings.root)")
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
