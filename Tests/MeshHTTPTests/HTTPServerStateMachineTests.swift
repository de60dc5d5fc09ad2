import MeshHTTP
import Testing

/// The server connection's life without I/O: keep-alive, pipelining, 100-continue,
/// errors and shutdown, as sequences of events and the actions they produce.
@Suite struct HTTPServerStateMachineTests {
    @Test func keepAliveExchangeReturnsToIdle() {
        var machine = HTTPServerStateMachine()
        #expect(machine.isIdle && machine.shouldParse)
        #expect(machine.requestHead(keepAlive: true, expectsContinue: false, hasBody: false) == .none)
        #expect(machine.requestEnd() == .none)
        #expect(!machine.shouldParse)  // pipelined bytes wait until the response is done
        #expect(machine.responseHead() == false)  // no Connection: close
        #expect(machine.responseEnd() == .readNextRequest)
        #expect(machine.isIdle && machine.shouldParse)
    }

    @Test func connectionCloseRequestClosesAfterResponse() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: false, expectsContinue: false, hasBody: false)
        _ = machine.requestEnd()
        #expect(machine.responseHead() == true)
        #expect(machine.responseEnd() == .closeAfterFlush)
    }

    @Test func pipeliningParsesOnlyOneRequestAhead() {
        var machine = HTTPServerStateMachine()
        for _ in 0..<3 {
            #expect(machine.shouldParse)
            _ = machine.requestHead(keepAlive: true, expectsContinue: false, hasBody: false)
            _ = machine.requestEnd()
            #expect(!machine.shouldParse)
            _ = machine.responseHead()
            #expect(!machine.shouldParse)
            #expect(machine.responseEnd() == .readNextRequest)
        }
    }

    @Test func continueIsSentOnceWhenTheHandlerReadsTheBody() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: true, hasBody: true)
        #expect(machine.continuePending)
        #expect(machine.handlerWantsBody() == .sendContinue)
        #expect(machine.handlerWantsBody() == .none)
        #expect(machine.requestEnd() == .none)
        #expect(machine.responseHead() == false)
        #expect(machine.responseEnd() == .readNextRequest)
    }

    @Test func continueIsNotSentWithoutBody() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: true, hasBody: false)
        #expect(machine.handlerWantsBody() == .none)
    }

    @Test func earlyResponseWithoutContinueClosesTheConnection() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: true, hasBody: true)
        // The handler answers (say 413) before asking for the body: no 100 Continue, and
        // the unread body must never be parsed as the next request.
        #expect(machine.responseHead() == true)
        #expect(machine.responseEnd() == .closeAfterFlush)
        #expect(machine.handlerWantsBody() == .none)
    }

    @Test func responseBeforeBodyEndClosesAfterResponse() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: false, hasBody: true)
        _ = machine.responseHead()
        #expect(machine.responseEnd() == .closeAfterFlush)
    }

    @Test func localReplyToABodilessRequestKeepsTheConnection() {
        // A handler that answers from the head (a proxy's 404): the response is complete
        // before the parser's `.end`, which follows at once; the connection stays open.
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: false, body: .none)
        #expect(machine.responseHead() == false)  // no Connection: close
        #expect(machine.responseEnd() == .discardRequestBody)
        #expect(machine.isDiscardingBody)
        #expect(machine.requestEnd() == .readNextRequest)
        #expect(machine.isIdle && machine.shouldParse)
    }

    @Test func localReplyBeforeAShortBodyDiscardsItAndKeepsTheConnection() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: false, body: .contentLength(100))
        #expect(machine.responseHead() == false)
        #expect(machine.responseEnd() == .discardRequestBody)
        #expect(machine.shouldParse)  // the rest of the body is read (and thrown away)
        #expect(machine.requestEnd() == .readNextRequest)
    }

    @Test func localReplyBeforeALongOrChunkedBodySaysCloseAndCloses() {
        for body in [HTTPBodyFraming.chunked, .contentLength(HTTPServerStateMachine.maxDiscardedBody + 1)] {
            var machine = HTTPServerStateMachine()
            _ = machine.requestHead(keepAlive: true, expectsContinue: false, body: body)
            #expect(machine.responseHead() == true)  // Connection: close
            #expect(machine.responseEnd() == .closeAfterFlush)
        }
    }

    @Test func localReplyToARequestThatSaidCloseCloses() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: false, expectsContinue: false, body: .none)
        #expect(machine.responseHead() == true)
        #expect(machine.responseEnd() == .closeAfterFlush)
    }

    @Test func parseErrorBeforeResponseAnswersOnceAndCloses() {
        var machine = HTTPServerStateMachine()
        #expect(machine.parseError(status: 400) == .sendErrorAndClose(status: 400))
        #expect(!machine.shouldParse)
    }

    @Test func parseErrorAfterResponseStartedOnlyCloses() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: false, hasBody: true)
        _ = machine.responseHead()
        // A bad chunk arrives after the handler already began its response: a second
        // response cannot follow on the wire, so the connection just closes.
        #expect(machine.parseError(status: 400) == .close)
    }

    @Test func headTimeoutIs408() {
        var machine = HTTPServerStateMachine()
        #expect(machine.headTimeout() == .sendErrorAndClose(status: 408))
    }

    @Test func peerHalfCloseWhileIdleCloses() {
        var machine = HTTPServerStateMachine()
        #expect(machine.readEOF() == .close)
    }

    @Test func peerCloseBeforeAnyResponseAbandonsTheExchange() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: false, hasBody: false)
        _ = machine.requestEnd()
        #expect(machine.readEOF() == .close)
    }

    @Test func peerCloseDuringTheResponseLetsItFinish() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: false, hasBody: false)
        _ = machine.requestEnd()
        #expect(machine.responseHead() == false)
        #expect(machine.readEOF() == .none)
        #expect(machine.responseEnd() == .closeAfterFlush)
    }

    @Test func peerHalfCloseMidBodyCloses() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: false, hasBody: true)
        #expect(machine.readEOF() == .close)
    }

    @Test func drainClosesIdleAtOnceAndBusyAfterResponse() {
        var idle = HTTPServerStateMachine()
        #expect(idle.drain() == .close)

        var busy = HTTPServerStateMachine()
        _ = busy.requestHead(keepAlive: true, expectsContinue: false, hasBody: false)
        _ = busy.requestEnd()
        #expect(busy.drain() == .none)
        #expect(busy.responseHead() == true)
        #expect(busy.responseEnd() == .closeAfterFlush)
    }

    /// RFC 9112 §9.6: once an exchange ends with the connection closing, nothing after it is
    /// parsed (a pipelined request behind `Connection: close` is never processed).
    @Test func nothingIsParsedAfterAClosingExchange() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: false, expectsContinue: false, body: .none)
        _ = machine.requestEnd()
        #expect(machine.responseHead() == true)
        #expect(machine.responseEnd() == .closeAfterFlush)
        #expect(machine.isIdle)
        #expect(!machine.shouldParse)

        // The same after an early reply whose body cannot be thrown away.
        var early = HTTPServerStateMachine()
        _ = early.requestHead(keepAlive: true, expectsContinue: false, body: .chunked)
        _ = early.responseHead()
        #expect(early.responseEnd() == .closeAfterFlush)
        #expect(!early.shouldParse)
    }

    /// A drain does not wait for the body of a request that was answered already.
    @Test func drainClosesAConnectionThatOnlyDiscardsABody() {
        var machine = HTTPServerStateMachine()
        _ = machine.requestHead(keepAlive: true, expectsContinue: false, body: .contentLength(10))
        _ = machine.responseHead()
        #expect(machine.responseEnd() == .discardRequestBody)
        #expect(machine.isDiscardingBody)
        #expect(machine.drain() == .close)
    }
}
