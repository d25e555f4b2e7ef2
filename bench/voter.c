/* A lean open-loop voter: bench/voter.py's fixed-rate ballots in C, for the sections without retries.

   The Python voter took 40-80 % of a core at 2,000 votes/s, on the same two cores as the stack it measured.
   This one sends the same requests, prepared by bench/compiled_voter.py, at a fraction of that.

   Usage: voter HOST PORT RATE TIMEOUT CONNECTIONS REQUESTS OUT (the run is as long as REQUESTS over RATE)
   REQUESTS holds the ballots' HTTP requests, each as (uint32 length, bytes). Ballot i is due at
   t0 + i/RATE whatever happened to the earlier ones (open loop), and is sent on an idle keep-alive connection
   or on a new one (at most CONNECTIONS), one request in flight per connection; a ballot waiting for a
   connection is late, and that counts in its latency, which runs from its due time to the kernel's receive
   time of its answer (SO_TIMESTAMPNS, turned into CLOCK_MONOTONIC, the clock of Python's time.monotonic()).
   A ballot without an answer TIMEOUT seconds after it was sent fails (status -1, its connection closed), one
   whose connection fails gets status 0.
   Prints {"event": "started", "t0": T} when it starts, and at the end writes OUT, one record per ballot
   (double due, double answered or NaN, int32 status, int64 version or -1, double send lag), then prints
   {"event": "finished", ...}. Built by bench/compiled.py with the machine's gcc (Debian's package). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rxtime.h"

enum state { UNUSED, CONNECTING, IDLE, BUSY };

typedef struct {
    int fd;
    enum state state;
    int listed; /* in the idle list (which may still hold it after it closed: then it is skipped) */
    long ballot; /* the one in flight */
    double sent_at;
    char buf[8192];
    size_t len;
} Conn;

typedef struct __attribute__((packed)) {
    double due, answered;
    int32_t status;
    int64_t version;
    double lag;
} Record;

static Conn *conns;
static int nconns, *idle, nidle, epfd, opened;
static Record *records;
static char **requests;
static uint32_t *lengths;
static struct sockaddr_in address;
static double clock_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC */

static double now_of(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double mono(void) { return now_of(CLOCK_MONOTONIC); }

static void finish(Conn *c, int32_t status, double when, int64_t version) {
    if (c->ballot >= 0) {
        records[c->ballot].status = status;
        records[c->ballot].answered = status == 200 ? when : NAN;
        records[c->ballot].version = version;
        c->ballot = -1;
    }
}

static void drop(Conn *c, int32_t status) {
    finish(c, status, NAN, -1);
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->state = UNUSED;
    c->len = 0;
}

static void send_ballot(Conn *c, long i, double now) {
    c->ballot = i;
    c->sent_at = now;
    c->state = BUSY;
    c->len = 0;
    ssize_t n = send(c->fd, requests[i], lengths[i], MSG_NOSIGNAL);
    if (n != (ssize_t)lengths[i]) drop(c, 0); /* a short write on a fresh ~250-byte request: a failure */
}

static Conn *open_conn(void) {
    for (int k = 0; k < nconns; k++) {
        Conn *c = &conns[k];
        if (c->state != UNUSED) continue;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
            close(c->fd);
            return NULL;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)k};
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
        c->state = CONNECTING;
        c->ballot = -1;
        c->len = 0;
        opened++;
        return c;
    }
    return NULL;
}

/* One whole answer in the buffer: its status, its "version" and whether the server keeps the connection. */
static void parse(Conn *c, double when) {
    c->buf[c->len < sizeof c->buf ? c->len : sizeof c->buf - 1] = 0;
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end) return;
    char *length = strcasestr(c->buf, "\r\ncontent-length:");
    size_t body = length && length < end ? strtoul(length + 17, NULL, 10) : 0;
    size_t whole = (size_t)(end + 4 - c->buf) + body;
    if (c->len < whole) return;
    int32_t status = c->len > 12 ? atoi(c->buf + 9) : 0;
    int64_t version = -1;
    char *v = strstr(end + 4, "\"version\":");
    if (v) version = strtoll(v + 10, NULL, 10);
    char *closing = strcasestr(c->buf, "\r\nconnection: close");
    finish(c, status, when, version);
    if (closing && closing < end) {
        drop(c, 0);
        return;
    }
    c->len = 0;
    c->state = IDLE;
    if (!c->listed) {
        c->listed = 1;
        idle[nidle++] = (int)(c - conns);
    }
}

/* An idle connection to send on, if any. */
static Conn *take_idle(void) {
    while (nidle > 0) {
        Conn *c = &conns[idle[--nidle]];
        c->listed = 0;
        if (c->state == IDLE) return c;
    }
    return NULL;
}

static void readable(Conn *c) {
    char control[256];
    struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = sizeof c->buf - 1 - c->len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t got = recvmsg(c->fd, &msg, 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0 || iov.iov_len == 0) {
        drop(c, 0);
        return;
    }
    double when = kernel_time(&msg, clock_offset, mono());
    c->len += (size_t)got;
    if (c->state == BUSY) parse(c, when);
    else c->len = 0; /* nothing is asked on it: whatever came is not an answer */
}

static long load(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    long n = 0, cap = 0;
    uint32_t len;
    while (fread(&len, 4, 1, f) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            requests = realloc(requests, cap * sizeof *requests);
            lengths = realloc(lengths, cap * sizeof *lengths);
        }
        requests[n] = malloc(len);
        if (fread(requests[n], 1, len, f) != len) return -1;
        lengths[n++] = len;
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: voter HOST PORT RATE TIMEOUT CONNECTIONS REQUESTS OUT\n");
        return 2;
    }
    double rate = atof(argv[3]), timeout = atof(argv[4]);
    nconns = atoi(argv[5]);
    long total = load(argv[6]);
    if (total < 0 || rate <= 0 || nconns <= 0) {
        fprintf(stderr, "voter: bad arguments or requests file\n");
        return 2;
    }
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) {
        fprintf(stderr, "voter: HOST must be an IPv4 address\n");
        return 2;
    }
    conns = calloc(nconns, sizeof *conns);
    idle = calloc(nconns, sizeof *idle);
    records = calloc(total ? total : 1, sizeof *records);
    epfd = epoll_create1(0);
    clock_offset = now_of(CLOCK_REALTIME) - mono();
    double t0 = mono() + 0.05;
    printf("{\"event\": \"started\", \"t0\": %.9f}\n", t0);
    fflush(stdout);

    long due = 0, queued = 0; /* ballots [queued, due) are due and wait for a connection */
    double paced_end = NAN, last_check = 0;
    struct epoll_event events[256];
    for (;;) {
        double now = mono();
        long due_now = now < t0 ? 0 : (long)((now - t0) * rate) + 1;
        if (due_now > total) due_now = total;
        for (; due < due_now; due++) {
            records[due].due = t0 + due / rate;
            records[due].lag = now - records[due].due;
            records[due].status = -1;
            records[due].version = -1;
            records[due].answered = NAN;
        }
        if (due == total && isnan(paced_end)) paced_end = now;
        while (queued < due) {
            Conn *ready = take_idle();
            if (ready) {
                send_ballot(ready, queued++, now);
                continue;
            }
            Conn *c = open_conn();
            if (!c) break;
            c->ballot = queued++; /* sent once the connection is up */
            c->sent_at = now;
        }
        int busy = 0;
        if (now - last_check > 0.01) { /* timeouts, every 10 ms */
            last_check = now;
            for (int k = 0; k < nconns; k++) {
                Conn *c = &conns[k];
                if ((c->state == BUSY || c->state == CONNECTING) && c->ballot >= 0) {
                    if (now - c->sent_at > timeout) drop(c, -1);
                    else busy++;
                }
            }
            if (due == total && queued == total && busy == 0) break;
            if (!isnan(paced_end) && now - paced_end > timeout + 1.0) break;
        }
        int wait_ms = 10;
        if (due < total) {
            double next = t0 + due / rate - now;
            wait_ms = next <= 0 ? 0 : (int)ceil(next * 1e3);
            if (wait_ms > 10) wait_ms = 10;
        }
        int n = epoll_wait(epfd, events, 256, wait_ms);
        for (int e = 0; e < n; e++) {
            Conn *c = &conns[events[e].data.u32];
            if (c->state == UNUSED) continue;
            if (c->state == CONNECTING) {
                int error = 0;
                socklen_t size = sizeof error;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size);
                if (error || (events[e].events & (EPOLLERR | EPOLLHUP))) {
                    drop(c, 0);
                    continue;
                }
                if (!(events[e].events & EPOLLOUT)) continue;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[e].data.u32};
                epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
                send_ballot(c, c->ballot, mono());
                continue;
            }
            if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) readable(c);
        }
    }
    double end = mono();
    for (int k = 0; k < nconns; k++)
        if (conns[k].state != UNUSED) drop(&conns[k], -1);

    FILE *out = fopen(argv[7], "wb");
    if (!out || fwrite(records, sizeof *records, total, out) != (size_t)total || fclose(out) != 0) {
        fprintf(stderr, "voter: cannot write %s\n", argv[7]);
        return 1;
    }
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    double cpu = u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
    printf("{\"event\": \"finished\", \"paced_end\": %.9f, \"end\": %.9f, \"cpu_seconds\": %.6f, "
           "\"connections_opened\": %d}\n",
           isnan(paced_end) ? end : paced_end, end, cpu, opened);
    fflush(stdout);
    return 0;
}
