import Hummingbird
import NIOCore

/// The context of every Perk request: Hummingbird's core, and the address of the client, which
/// sign-in throttling counts failures by.
public struct PerkRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }

    /// Gives this request the upload deadline (`HTTPLimits.uploadTimeout`) instead of the usual
    /// one, from now: a route calls it once it has accepted a long upload from its user.
    func acceptUpload() {
        let channel = self.channel
        channel.eventLoop.execute {
            let pipeline = channel.pipeline.syncOperations
            guard let handler = try? pipeline.handler(type: RequestGuard.self),
                let context = try? pipeline.context(handlerType: RequestGuard.self)
            else { return }
            handler.uploadAccepted(context)
        }
    }

    /// The client's IP address as text, when the connection has one.
    var clientAddress: String? { remoteAddress?.ipAddress }
}
