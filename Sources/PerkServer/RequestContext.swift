import Hummingbird
import NIOCore

/// The context of every Perk request: Hummingbird's core, and the address of the client, which
/// sign-in throttling counts failures by.
public struct PerkRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, when the connection has one.
    var clientAddress: String? { remoteAddress?.ipAddress }
}
