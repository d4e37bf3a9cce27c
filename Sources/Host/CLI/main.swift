import Foundation
import HostKit

// Flush stdout line by line so progress on stderr and results on stdout interleave sensibly.
setvbuf(stdout, nil, _IOLBF, 0)
exit(HostCommand.main(CommandLine.arguments))
