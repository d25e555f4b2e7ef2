/* A lean subscriber: thousands of websockets in one process, for the benchmark's biggest loads.

   bench/ws.py in C, so that the harness costs the machine less than the stack it measures. For every text
   message it keeps the kernel's receive time (SO_TIMESTAMPNS, turned into CLOCK_MONOTONIC, the clock of
   Python's time.monotonic()) and the version the message carries: a JSON "version": N or an HTML fragment's
   data-version="N". It answers pings and closes, offers no extension and sends no data frame.

   Usage: wsclient HOST PATH PORT... (one port per socket). It connects them all at once, prints one JSON line
   when every socket has its first message (or failed, or 180 s passed), then answers commands on stdin, one
   JSON line each:
     status                -> {"open", "min_version", "messages"}
     start | stop_clock    -> {} (the window over which CPU and messages are counted)
     first_after T         -> {"delays": [...]}: per open socket, its first receipt after monotonic time T, minus T
     collect FILE          -> the window's figures (its "loop_lag": how late this process read what the kernel
                              had received); every socket's receipts written to FILE as
                              (uint32 n, then n x (double time, int64 version)) per socket
     stop                  -> closes every socket and exits
   Built by bench/compiled.py with the machine's gcc (Debian's package). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

enum state { CONNECTING, HANDSHAKE, OPEN, CLOSED };

typedef struct {
    int fd, port;
    enum state state;
    unsigned char *buf;
    size_t len, cap;
    double *times;
    int64_t *versions;
    size_t n, ncap;
    int64_t last_version;
    long count, backwards;
    double upgraded_at, first_at; /* NaN until then */
} Conn;

static Conn *conns;
static int nconns, epfd;
static const char *host, *path;
static double clock_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
static double mark_wall, mark_cpu, end_wall = NAN, end_cpu;
static long mark_messages, end_messages;
/* How late this process read what the kernel had received (its own lag), sampled during the window. */
static double *lags;
static size_t nlags, lagcap;
static int in_window;

static double now_of(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double mono(void) { return now_of(CLOCK_MONOTONIC); }
static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}
static long messages(void) {
    long m = 0;
    for (int i = 0; i < nconns; i++) m += conns[i].count;
    return m;
}

static void lose(Conn *c) {
    if (c->state == CLOSED) return;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->state = CLOSED;
}

static void send_frame(Conn *c, int opcode, const unsigned char *payload, size_t n) {
    unsigned char frame[2 + 4 + 125];
    if (n > 125) n = 125;
    uint32_t mask = (uint32_t)rand();
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | (unsigned char)n;
    memcpy(frame + 2, &mask, 4);
    for (size_t i = 0; i < n; i++) frame[6 + i] = payload[i] ^ frame[2 + i % 4];
    if (send(c->fd, frame, 6 + n, MSG_NOSIGNAL) < 0) lose(c);
}

static int64_t version_in(const unsigned char *p, size_t n) {
    static const char *keys[] = {"\"version\":", "data-version=\""};
    for (int k = 0; k < 2; k++) {
        const unsigned char *at = memmem(p, n, keys[k], strlen(keys[k]));
        if (!at) continue;
        const unsigned char *d = at + strlen(keys[k]), *end = p + n;
        while (d < end && *d == ' ') d++;
        if (d >= end || *d < '0' || *d > '9') continue;
        int64_t v = 0;
        while (d < end && *d >= '0' && *d <= '9') v = v * 10 + (*d++ - '0');
        return v;
    }
    return -1;
}

static void message(Conn *c, const unsigned char *p, size_t n, double when) {
    int64_t v = version_in(p, n);
    if (v < 0) return;
    if (v < c->last_version) c->backwards++;
    c->count++;
    if (v > c->last_version) c->last_version = v;
    if (c->n == c->ncap) {
        c->ncap = c->ncap ? c->ncap * 2 : 64;
        c->times = realloc(c->times, c->ncap * sizeof(double));
        c->versions = realloc(c->versions, c->ncap * sizeof(int64_t));
    }
    c->times[c->n] = when;
    c->versions[c->n++] = v;
    if (c->first_at != c->first_at) c->first_at = when;
}

static void parse(Conn *c, double when) {
    size_t at = 0;
    if (c->state == HANDSHAKE) {
        unsigned char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end) return;
        if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
            lose(c);
            return;
        }
        at = (size_t)(end - c->buf) + 4;
        c->state = OPEN;
        c->upgraded_at = when;
    }
    while (c->state == OPEN && c->len - at >= 2) {
        unsigned char *f = c->buf + at;
        int opcode = f[0] & 0x0F;
        uint64_t size = f[1] & 0x7F;
        size_t head = 2;
        if (size == 126) {
            if (c->len - at < 4) break;
            size = ((uint64_t)f[2] << 8) | f[3];
            head = 4;
        } else if (size == 127) {
            if (c->len - at < 10) break;
            size = 0;
            for (int i = 0; i < 8; i++) size = (size << 8) | f[2 + i];
            head = 10;
        }
        if (c->len - at < head + size) break;
        unsigned char *payload = f + head;
        if (opcode == 1 || opcode == 0) message(c, payload, size, when);
        else if (opcode == 9) send_frame(c, 10, payload, size);
        else if (opcode == 8) {
            send_frame(c, 8, payload, size < 2 ? size : 2);
            lose(c);
            return;
        }
        at += head + size;
    }
    memmove(c->buf, c->buf + at, c->len - at);
    c->len -= at;
}

static void readable(Conn *c) {
    for (;;) {
        if (c->cap - c->len < 65536) {
            c->cap = c->cap * 2 > c->len + 65536 ? c->cap * 2 : c->len + 65536;
            c->buf = realloc(c->buf, c->cap);
        }
        struct iovec iov = {c->buf + c->len, c->cap - c->len};
        char control[256];
        struct msghdr msg = {0};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t got = recvmsg(c->fd, &msg, 0);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            lose(c);
            return;
        }
        if (got == 0) {
            lose(c);
            return;
        }
        double when = kernel_time(&msg, clock_offset, mono());
        if (in_window && nlags < 4000000) {
            if (nlags == lagcap) {
                lagcap = lagcap ? lagcap * 2 : 65536;
                lags = realloc(lags, lagcap * sizeof(double));
            }
            lags[nlags++] = mono() - when;
        }
        c->len += (size_t)got;
        parse(c, when);
        if (c->state == CLOSED) return;
    }
}

static void writable(Conn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        lose(c);
        return;
    }
    char key[25];
    for (int i = 0; i < 22; i++) key[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[rand() % 62];
    key[22] = '=', key[23] = '=', key[24] = 0;
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     path, host, c->port, key);
    if (send(c->fd, request, (size_t)n, MSG_NOSIGNAL) != n) {
        lose(c);
        return;
    }
    c->state = HANDSHAKE;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void start_connect(Conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int on = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    inet_pton(AF_INET, host, &addr.sin_addr);
    c->state = CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->state = CLOSED;
        return;
    }
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void poll_once(int timeout_ms) {
    struct epoll_event events[512];
    int n = epoll_wait(epfd, events, 512, timeout_ms);
    for (int i = 0; i < n; i++) {
        Conn *c = events[i].data.ptr;
        if (!c) continue; /* stdin: read by the command loop */
        if (c->state == CONNECTING) writable(c);
        else if (c->state != CLOSED) readable(c);
    }
}

static void print_ready(double started) {
    int connected = 0;
    for (int i = 0; i < nconns; i++) connected += conns[i].first_at == conns[i].first_at;
    printf("{\"connected\": %d, \"failed\": %d, \"connect_errors\": {}, \"seconds\": %.3f, \"upgraded_after\": [",
           connected, nconns - connected, mono() - started);
    int first = 1;
    for (int i = 0; i < nconns; i++)
        if (conns[i].first_at == conns[i].first_at) printf(first ? "%.6f" : ", %.6f", conns[i].upgraded_at - started), first = 0;
    printf("], \"snapshot_after\": [");
    first = 1;
    for (int i = 0; i < nconns; i++)
        if (conns[i].first_at == conns[i].first_at) printf(first ? "%.6f" : ", %.6f", conns[i].first_at - started), first = 0;
    printf("]}\n");
    fflush(stdout);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double q) { return nlags ? lags[(size_t)(q * (double)(nlags - 1))] * 1e3 : NAN; }

static void command(char *line) {
    line[strcspn(line, "\r\n")] = 0;
    if (strcmp(line, "status") == 0) {
        int open = 0;
        int64_t min_version = -1;
        int any = 0;
        for (int i = 0; i < nconns; i++) {
            if (conns[i].state != OPEN) continue;
            open++;
            if (!any || conns[i].last_version < min_version) min_version = conns[i].last_version;
            any = 1;
        }
        printf("{\"open\": %d, \"min_version\": %lld, \"messages\": %ld}\n", open, (long long)min_version, messages());
    } else if (strcmp(line, "start") == 0) {
        mark_wall = mono(), mark_cpu = cpu_seconds(), mark_messages = messages(), end_wall = NAN;
        nlags = 0, in_window = 1;
        printf("{}\n");
    } else if (strcmp(line, "stop_clock") == 0) {
        end_wall = mono(), end_cpu = cpu_seconds(), end_messages = messages();
        in_window = 0;
        printf("{}\n");
    } else if (strncmp(line, "first_after ", 12) == 0) {
        double t = atof(line + 12);
        printf("{\"delays\": [");
        int first = 1;
        for (int i = 0; i < nconns; i++) {
            Conn *c = &conns[i];
            if (c->state != OPEN) continue;
            double d = NAN;
            for (size_t k = 0; k < c->n; k++)
                if (c->times[k] > t) {
                    d = c->times[k] - t;
                    break;
                }
            if (d == d) printf(first ? "%.6f" : ", %.6f", d);
            else printf(first ? "NaN" : ", NaN");
            first = 0;
        }
        printf("]}\n");
    } else if (strncmp(line, "collect ", 8) == 0) {
        FILE *out = fopen(line + 8, "wb");
        int subscribers = 0, closed = 0;
        long backwards = 0;
        for (int i = 0; i < nconns; i++) {
            Conn *c = &conns[i];
            if (c->first_at != c->first_at) continue;
            subscribers++;
            closed += c->state == CLOSED;
            backwards += c->backwards;
            uint32_t n = (uint32_t)c->n;
            fwrite(&n, sizeof n, 1, out);
            for (size_t k = 0; k < c->n; k++) {
                fwrite(&c->times[k], sizeof(double), 1, out);
                fwrite(&c->versions[k], sizeof(int64_t), 1, out);
            }
        }
        fclose(out);
        double wall1 = end_wall == end_wall ? end_wall : mono();
        double cpu1 = end_wall == end_wall ? end_cpu : cpu_seconds();
        long messages1 = end_wall == end_wall ? end_messages : messages();
        double wall = wall1 - mark_wall > 1e-6 ? wall1 - mark_wall : 1e-6;
        struct rusage u;
        getrusage(RUSAGE_SELF, &u);
        qsort(lags, nlags, sizeof(double), by_value);
        printf("{\"wall\": %.3f, \"cpu_percent\": %.1f, \"messages\": %ld, \"maxrss_kib\": %ld, "
               "\"subscribers\": %d, \"closed\": %d, \"backwards\": %ld, \"errors\": [], "
               "\"loop_lag\": {\"n\": %zu, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}}\n",
               wall, 100.0 * (cpu1 - mark_cpu) / wall, messages1 - mark_messages, u.ru_maxrss, subscribers, closed,
               backwards, nlags, percentile(0.5), percentile(0.99), percentile(1.0));
    } else if (strcmp(line, "stop") == 0) {
        for (int i = 0; i < nconns; i++)
            if (conns[i].state == OPEN) {
                unsigned char code[2] = {0x03, 0xE8};
                send_frame(&conns[i], 8, code, 2);
                lose(&conns[i]);
            }
        printf("{}\n");
        fflush(stdout);
        exit(0);
    } else {
        printf("{\"error\": \"unknown command\"}\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: wsclient HOST PATH PORT...\n");
        return 2;
    }
    host = argv[1], path = argv[2];
    nconns = argc - 3;
    conns = calloc((size_t)nconns, sizeof(Conn));
    srand((unsigned)getpid());
    clock_offset = now_of(CLOCK_REALTIME) - mono();
    epfd = epoll_create1(0);
    double started = mono();
    for (int i = 0; i < nconns; i++) {
        conns[i].port = atoi(argv[3 + i]);
        conns[i].last_version = -1;
        conns[i].upgraded_at = conns[i].first_at = NAN;
        start_connect(&conns[i]);
    }
    while (mono() - started < 180.0) {
        int waiting = 0;
        for (int i = 0; i < nconns; i++) waiting += conns[i].state != CLOSED && conns[i].first_at != conns[i].first_at;
        if (!waiting) break;
        poll_once(50);
    }
    print_ready(started);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);
    char line[4096];
    size_t have = 0;
    for (;;) {
        poll_once(50);
        ssize_t got = read(0, line + have, sizeof line - 1 - have);
        if (got == 0) return 0; /* the benchmark is gone */
        if (got > 0) {
            have += (size_t)got;
            line[have] = 0;
            char *nl;
            while ((nl = strchr(line, '\n'))) {
                *nl = 0;
                command(line);
                have -= (size_t)(nl + 1 - line);
                memmove(line, nl + 1, have + 1);
            }
        }
    }
}
