import Foundation
import XCTest

/// Shell completion through the shells themselves: the script `host completion bash|zsh|fish`
/// prints, loaded into that shell, completes commands, plugins, experiments and options.
final class CompletionTests: XCTestCase {
    /// What bash's completion function offers for `words` (the last one partial).
    func complete(_ words: [String]) throws -> [String] {
        let quoted = ([TestSupport.hostPath] + words).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = """
        eval "$('\(TestSupport.hostPath)' completion bash)"
        COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count)
        _host_complete
        printf '%s\\n' "${COMPREPLY[@]}"
        """
        let result = try TestSupport.run("/bin/bash", ["-c", script])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n").map(String.init)
    }

    func testBashCompletesCommandsPluginsExperimentsAndOptions() throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/bash") else { throw XCTSkip("no /bin/bash") }
        XCTAssertEqual(try complete(["ru"]), ["run"])
        XCTAssertEqual(try complete(["run", "Par"]), ["Parity"])
        XCTAssertEqual(try complete(["run", "Parity", "de"]), ["deep-sigmoid"])
        XCTAssertEqual(try complete(["run", "Parity", "train", "--it"]), ["--iters"])
        XCTAssertEqual(try complete(["run", "Parity", "--seed", "3", "--wi"]), ["--width-factor"], "the default experiment's options, past a global option")
        XCTAssertEqual(try complete(["eval", "ResNet", "digits", "--che"]), ["--checkpoint"])
        XCTAssertEqual(try complete(["fetch", ""]), ["cifar10"])
        XCTAssertEqual(try complete(["fetch", "cifar10", "--fo"]), ["--force"])
        XCTAssertEqual(try complete(["run", "NoSuch", "x"]), [], "nothing for a plugin that is not there")
        XCTAssertEqual(try complete(["run", "Parity", "train", "--d", "30", "--it"]), ["--iters"], "past an experiment option's value")
        XCTAssertEqual(try complete(["run", "Parity", "--d", "30", "--it"]), ["--iters"], "the default experiment's option and its value")
        XCTAssertEqual(try complete(["run", "Parity", "--d", ""]), [], "an option's value: nothing from host")
        XCTAssertEqual(try complete(["run", "Parity", "--quiet", "tr"]), ["train"], "a global flag takes no value")
    }

    /// What zsh's completion function offers for `words`: the script is evaluated as printed,
    /// with compsys's `compadd`, `_files` and `compdef` stood in for (they exist only inside a
    /// completion widget), and `words`/`CURRENT` set as zsh sets them.
    func zshComplete(_ words: [String]) throws -> [String] {
        let quoted = (["host"] + words).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = """
        compdef() { :; }
        compadd() { shift; print -l -- "${(@P)1}"; }
        _files() { print -- FILES; }
        eval "$('\(TestSupport.hostPath)' completion zsh)"
        words=(\(quoted)); CURRENT=\(words.count + 1)
        _host
        """
        let folder = (TestSupport.hostPath as NSString).deletingLastPathComponent
        let result = try TestSupport.run("/usr/bin/zsh", ["-f", "-c", "PATH='\(folder)':$PATH; " + script])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n").map(String.init)
    }

    func testZshCompletesThroughTheSameCandidates() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh") else { throw XCTSkip("zsh is not installed (apt-get install zsh)") }
        XCTAssertEqual(try zshComplete(["ru"]), ["run"])
        XCTAssertEqual(try zshComplete(["run", "Parity", "train", "--it"]), ["--iters"])
        XCTAssertEqual(try zshComplete(["completion", ""]), ["bash", "zsh", "fish"])
        XCTAssertEqual(try zshComplete(["run", "Parity", "--out", ""]), ["FILES"], "a path where host has nothing to offer")
    }

    /// fish completes a command line itself with `complete -C` (no terminal needed).
    func testFishCompletesThroughTheSameCandidates() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/fish") else { throw XCTSkip("fish is not installed (apt-get install fish)") }
        let folder = (TestSupport.hostPath as NSString).deletingLastPathComponent
        func complete(_ line: String) throws -> [String] {
            let script = "set -x PATH '\(folder)' $PATH; '\(TestSupport.hostPath)' completion fish | source; complete -C'\(line)'"
            let result = try TestSupport.run("/usr/bin/fish", ["--no-config", "-c", script])
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? $0) }
        }
        XCTAssertEqual(try complete("host ru"), ["run"])
        XCTAssertEqual(try complete("host run Par"), ["Parity"])
        XCTAssertEqual(try complete("host run Parity train --it"), ["--iters"])
        XCTAssertEqual(try complete("host completion ").sorted(), ["bash", "fish", "zsh"])
    }

    func testCompletionWithoutAShellNameIsAnError() throws {
        let result = try TestSupport.host(["completion"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("completion script for bash, zsh or fish"), result.stderr)
        let unknown = try TestSupport.host(["completion", "tcsh"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("(not 'tcsh')"), unknown.stderr)
    }
}
