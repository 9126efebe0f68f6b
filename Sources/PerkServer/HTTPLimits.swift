import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import PerkJSON
import Synchronization

/// Limits on connections and requests, so that slow or oversized requests cannot hold a server.
public struct HTTPLimits: Sendable, Equatable {
    /// A request (head and body) must arrive within this time from its first byte (408 otherwise).
    public var requestTimeout: Duration = .seconds(30)
    /// The same for a CSV upload its route has accepted (`POST …/import_coupons`, signed in and
    /// allowed), whose body is read while its rows are stored: a million codes take a while.
    public var uploadTimeout: Duration = .seconds(600)
    /// A connection with no request in progress is closed after this time.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections open at once; more are answered 503 and closed.
    public var maxConnections = 1_000
    /// The request line (method, URL, version): 414 past it. Room for the longest id (1,000
    /// characters, up to 12 bytes each once percent-encoded).
    public var maxRequestLineBytes = 16 * 1024
    /// The request line and headers together: 431 past it.
    public var maxHeadBytes = 32 * 1024

    public init() {}
}

/// Hummingbird's HTTP/1 channel with `HTTPLimits` in front of its parser.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let limits: HTTPLimits
    let connections = ConnectionCount()

    init(responder: @escaping HTTPChannelHandler.Responder, limits: HTTPLimits) {
        self.limits = limits
        // The parser's own limits sit above ours, so that ours answer with an error body first.
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: limits.maxHeadBytes * 2, maxHeaderListSize: limits.maxHeadBytes * 2)
        self.inner = HTTP1Channel(
            responder: responder,
            configuration: .init(
                additionalChannelHandlers: [RequestCompletionTracker()], idleTimeout: .init(limits.idleTimeout),
                httpDecoderConfiguration: decoder))
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let open = connections.opened()
        channel.closeFuture.whenComplete { [connections] _ in connections.closed() }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                RequestGuard(limits: limits, refuse: open > limits.maxConnections), position: .first)
        }.flatMap { inner.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Connections open now.
final class ConnectionCount: Sendable {
    private let count = Atomic<Int>(0)
    /// Counts a new connection; how many are open with it.
    func opened() -> Int { count.add(1, ordering: .relaxed).newValue }
    func closed() { count.subtract(1, ordering: .relaxed) }
}

/// Bytes as they arrive, before the HTTP parser: times each request from its first byte, and
/// answers oversized request lines and heads, requests that do not arrive in time, and
/// connections over the cap with an error body, then closes the connection.
final class RequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let limits: HTTPLimits
    let refuse: Bool
    /// A request has begun and not been read to its end.
    private var reading = false
    /// Whether the head of the current request is still being read, and how much of it so far.
    private var inHead = false
    private var headBytes = 0
    private var lineEnded = false
    /// How much of `\r\n\r\n` the bytes read so far end with.
    private var terminator = 0
    /// A response is being written, so an error can no longer be written in front of it.
    fileprivate var responding = false
    private var timer: Scheduled<Void>?
    private var done = false

    init(limits: HTTPLimits, refuse: Bool) {
        self.limits = limits
        self.refuse = refuse
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if refuse, context.channel.isActive { reject(context, .serviceUnavailable, "Too many connections; try again") }
    }

    func channelActive(context: ChannelHandlerContext) {
        if refuse { reject(context, .serviceUnavailable, "Too many connections; try again") }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        let buffer = unwrapInboundIn(data)
        if !reading { begin(context) }
        if inHead, let problem = scanHead(buffer) {
            switch problem {
            case .line:
                reject(
                    context, .uriTooLong,
                    "The request line is longer than \(limits.maxRequestLineBytes) bytes")
            case .head:
                reject(
                    context, .requestHeaderFieldsTooLarge,
                    "The request headers are longer than \(limits.maxHeadBytes) bytes")
            }
            return
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    /// A request's first bytes, or the head of a pipelined one (which may arrive with the end of
    /// the previous one, unseen here).
    func begin(_ context: ChannelHandlerContext) {
        reading = true
        inHead = true
        headBytes = 0
        lineEnded = false
        terminator = 0
        arm(limits.requestTimeout, context)
    }

    /// Answers 408 unless the request has ended `timeout` from now.
    private func arm(_ timeout: Duration, _ context: ChannelHandlerContext) {
        timer?.cancel()
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        // Both are only touched on the channel's event loop, where the task runs.
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            guard handler.reading, !handler.done else { return }
            if handler.responding {
                context.close(promise: nil)
            } else {
                handler.reject(context, .requestTimeout, "The request did not arrive in time")
            }
        }
    }

    /// The request in progress is an upload its route accepted: it has `uploadTimeout` from now.
    func uploadAccepted(_ context: ChannelHandlerContext) {
        guard reading, !done else { return }
        arm(limits.uploadTimeout, context)
    }

    /// The parser saw a request's head: its bytes need no more counting here.
    func headParsed(_ context: ChannelHandlerContext) {
        if !reading { begin(context) }
        inHead = false
    }

    /// The parser saw a request's end.
    func requestEnded() {
        reading = false
        inHead = false
        timer?.cancel()
        timer = nil
    }

    enum Oversize { case line, head }

    private func scanHead(_ buffer: ByteBuffer) -> Oversize? {
        let pattern: [UInt8] = [13, 10, 13, 10]
        for byte in buffer.readableBytesView {
            headBytes += 1
            if byte == pattern[terminator] {
                terminator += 1
            } else {
                terminator = byte == 13 ? 1 : 0
            }
            if !lineEnded && terminator == 2 { lineEnded = true }
            if !lineEnded && headBytes > limits.maxRequestLineBytes { return .line }
            if terminator == 4 {
                inHead = false
                return nil
            }
            if headBytes > limits.maxHeadBytes { return .head }
        }
        return nil
    }

    private func reject(_ context: ChannelHandlerContext, _ status: HTTPResponse.Status, _ message: String) {
        guard !done else { return }
        done = true
        timer?.cancel()
        let body = APIError(status: status, message: message).body.serialized()
        var head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        if status == .serviceUnavailable { head += "Retry-After: 1\r\n" }
        head += "\r\n"
        var out = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        out.writeString(head)
        out.writeBytes(body)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(out)).whenComplete { _ in bound.value.close(promise: nil) }
    }
}

/// Parsed request parts, after the HTTP parser: tells the `RequestGuard` where requests end,
/// and when a response is being written.
final class RequestCompletionTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var guardHandler: RequestGuard?
    private var guardContext: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        guardHandler = try? context.pipeline.syncOperations.handler(type: RequestGuard.self)
        guardContext = try? context.pipeline.syncOperations.context(handlerType: RequestGuard.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: if let g = guardHandler, let c = guardContext { g.headParsed(c) }
        case .end: guardHandler?.requestEnded()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: guardHandler?.responding = true
        case .end: guardHandler?.responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }
}
