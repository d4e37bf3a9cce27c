import Foundation
import XCTest

/// Shell completion through bash itself: the script `host completion bash` prints, sourced into
/// bash, completes commands, plugins, experiments and options.
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
    }

    func testCompletionWithoutAShellNameIsAnError() throws {
        let result = try TestSupport.host(["completion"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("completion script for bash"), result.stderr)
    }
}
