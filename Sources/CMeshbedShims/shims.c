#define _GNU_SOURCE
#include "CMeshbedShims.h"

int meshbed_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void meshbed_set_thread_name(pthread_t thread, const char *name) {
    pthread_setname_np(thread, name);
}
