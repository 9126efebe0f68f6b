import ArgumentParser
import NIOCore
import NIOPosix

@main
enum Main {
    static func main() async {
        // NIO's event loops can only become Swift's global executor from the main thread and
        // before other tasks start, so the flag is looked at before the arguments are parsed.
        if CommandLine.arguments.dropFirst().first == "serve" && CommandLine.arguments.contains("--event-loop-executor")
        {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await Perk.main()
    }
}
