/* The kernel's receive time of what one recvmsg returned (SO_TIMESTAMPNS), turned into CLOCK_MONOTONIC, the
   clock of Python's time.monotonic(): bench/rxtime.py's kernel_time for the harness's C tools. `offset` is
   CLOCK_REALTIME - CLOCK_MONOTONIC; `otherwise` is returned when the message carries no timestamp. */
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static inline double kernel_time(struct msghdr *msg, double offset, double otherwise) {
    for (struct cmsghdr *m = CMSG_FIRSTHDR(msg); m; m = CMSG_NXTHDR(msg, m)) {
        if (m->cmsg_level == SOL_SOCKET && m->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(m), sizeof ts);
            return ts.tv_sec + ts.tv_nsec * 1e-9 - offset;
        }
    }
    return otherwise;
}
