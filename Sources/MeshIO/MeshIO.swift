// MeshIO: the only module that does I/O.
//
// `Posix` (System.swift) is the one door to the kernel. On top of it: `EventLoop`
// (epoll, eventfd wake-ups, timerfd timers), `EventLoopGroup` (a loop per core),
// `TCPServer`/`TCPListener` (SO_REUSEPORT accept per loop) and `TCPConnection`
// (non-blocking reads into a shared buffer, buffered writes, backpressure, half-close).
// Protocol modules see only these types, never Glibc.
