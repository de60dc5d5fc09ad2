// The Linux interfaces that Swift's Glibc module does not export.
// Only MeshIO imports this target; protocol code never sees it.
#ifndef MESHBED_SHIMS_H
#define MESHBED_SHIMS_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <pthread.h>

/// errno, readable from Swift without the thread-local macro games.
static inline int meshbed_errno(void) { return errno; }

/// Asks the kernel to send `signal` to this process when its parent dies.
static inline int meshbed_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

/// Names a thread (shown by top -H and perf); at most 15 bytes.
void meshbed_set_thread_name(pthread_t thread, const char *name);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC.
int meshbed_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length);

#endif
