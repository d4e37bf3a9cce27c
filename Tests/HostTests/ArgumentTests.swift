import HostKit
import PluginAPI
import XCTest

final class ArgumentTests: XCTestCase {
    func parse(_ args: [String]) -> Swift.Result<(GlobalOptions, Command), HostError> { ArgumentParser.parse(args) }

    func testGlobalOptionsAnywhere() throws {
        let (globals, command) = try parse(["--seed", "3", "run", "Parity", "exact", "--d", "5", "--threads=2", "--quiet", "--plugins", "/p"]).get()
        XCTAssertEqual(globals.seed, 3)
        XCTAssertEqual(globals.threads, 2)
        XCTAssertTrue(globals.quiet)
        XCTAssertEqual(globals.pluginFolders, ["/p"])
        XCTAssertEqual(command, .run(plugin: "Parity", experiment: "exact", options: ["--d", "5"]))
    }

    func testRunWithoutExperimentUsesDefault() throws {
        XCTAssertEqual(try parse(["run", "Parity", "--d", "5"]).get().1, .run(plugin: "Parity", experiment: nil, options: ["--d", "5"]))
    }

    func testEvalNeedsCheckpoint() throws {
        XCTAssertEqual(try parse(["eval", "Parity", "--checkpoint", "x"]).get().1, .eval(plugin: "Parity", experiment: nil, checkpoint: "x", options: []))
        guard case .failure(let error) = parse(["eval", "Parity"]) else { return XCTFail("accepted eval without checkpoint") }
        XCTAssertEqual(error.exitCode, 2)
    }

    func testHelpForms() throws {
        XCTAssertEqual(try parse([]).get().1, .help(topic: []))
        XCTAssertEqual(try parse(["help", "Parity", "exact"]).get().1, .help(topic: ["Parity", "exact"]))
        XCTAssertEqual(try parse(["run", "Parity", "exact", "--help"]).get().1, .help(topic: ["Parity", "exact"]))
        XCTAssertEqual(try parse(["--version"]).get().1, .version)
    }

    let specs: [OptionSpec] = [
        .int("d", default: 30, range: 1...64, help: ""),
        .double("lr", default: 0.001, positive: true, help: ""),
        .choice("act", ["relu", "silu"], default: "relu", help: ""),
        .flag("corrected", help: ""),
        .path("x", help: ""),
    ]

    func resolve(_ tokens: [String]) -> Swift.Result<OptionValues, HostError> {
        ExperimentOptionParser.resolve(tokens, specs: specs, where: "P e")
    }

    func testDefaultsAndValues() throws {
        let values = try resolve(["--lr=0.5", "--act", "silu", "--corrected"]).get()
        XCTAssertEqual(try values.int("d"), 30)
        XCTAssertEqual(try values.double("lr"), 0.5)
        XCTAssertEqual(try values.string("act"), "silu")
        XCTAssertEqual(try values.bool("corrected"), true)
        XCTAssertNil(values.optionalString("x"))
        XCTAssertEqual(try resolve(["--no-corrected"]).get().values["corrected"], .bool(false))
        XCTAssertEqual(resolve(["--lr", "-0.5"]).failureMessage, "--lr: -0.5 is too small; expected number > 0")
    }

    func testErrorsNameTheOptionAndWhatIsAllowed() {
        XCTAssertEqual(resolve(["--act", "tanh"]).failureMessage, "--act: 'tanh' is not allowed; expected one of relu, silu")
        XCTAssertEqual(resolve(["--lr", "0"]).failureMessage, "--lr: 0 is too small; expected number > 0")
        XCTAssertEqual(resolve(["--lr", "nan"]).failureMessage, "--lr: 'nan' is not a finite number; expected number > 0")
        XCTAssertEqual(resolve(["--corrected=maybe"]).failureMessage, "--corrected: 'maybe' is not true or false; expected switch (true/false)")
        XCTAssertEqual(resolve(["--zzz", "1"]).failureMessage, "unknown option --zzz for P e; its options are --d, --lr, --act, --corrected, --x")
        XCTAssertEqual(resolve(["stray"]).failureMessage, "unexpected argument 'stray' for P e")
        XCTAssertEqual(resolve(["--x", ""]).failureMessage, "--x: the path is empty; expected path")
    }

    func testEditDistance() {
        XCTAssertEqual(ExperimentOptionParserProbe.distance("iters", "iter"), 1)
        XCTAssertEqual(ExperimentOptionParserProbe.distance("", "abc"), 3)
        XCTAssertEqual(ExperimentOptionParserProbe.distance("kitten", "sitting"), 3)
    }
}

/// Reaches the parser's internal helper through its public behaviour.
enum ExperimentOptionParserProbe {
    static func distance(_ a: String, _ b: String) -> Int { ExperimentOptionParser.suggestionDistance(a, b) }
}

extension Swift.Result {
    var failureMessage: String? {
        switch self {
        case .success: return nil
        case .failure(let error):
            if let error = error as? HostError { return error.message }
            return "\(error)"
        }
    }
}
