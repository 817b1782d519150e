/* zkfloor: the least a ZooKeeper server can do for a durable write, as a server a real client talks to.
 *
 *   gcc -O2 -o zkfloor zkfloor.c
 *   zkfloor --port 22199 --log /tmp/floor/log.dat [--cpu 1]
 *
 * It speaks just enough of the ZooKeeper wire protocol for a client's session and its create, delete,
 * setData, getData, exists, ping and closeSession requests. Each write request's frame is written
 * (pwrite) into a preallocated, zero-filled, synced log file and made durable with one fdatasync
 * before it is answered; the requests read together share that fdatasync (group commit). Nothing is
 * kept but a sequence counter: getData answers 100 zero bytes, every Stat is zeros, no error is ever
 * returned. No tree, no sessions, no checks, no threads.
 *
 * What it is for (harness/bench/zk_side_by_side.py): with the same client, on the same CPU and disk
 * as the real servers, its sync-write latency is the floor of this machine (client library, loopback,
 * one wake-up, one pwrite + fdatasync). No ZooKeeper server can answer a sync write faster here, so
 * a target such as "kz's p99 <= 0.5x Apache's" cannot be met in a round where Apache's p99 is within
 * 2x of this floor's.
 *
 * A benchmark tool, not part of kz: it has no persistence format anyone reads, and it trusts its client
 * only as far as a bad frame closing that connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kMaxConns = 64, kMaxFrame = 1 << 20, kLogBytes = 64 << 20, kReplyCap = 1 << 20 };

typedef struct {
  int fd;
  int connected; /* the ConnectRequest was answered */
  uint8_t *in;   /* bytes read, not yet consumed */
  size_t in_len;
  uint8_t *out; /* replies held until the batch's fdatasync */
  size_t out_len;
} Conn;

static Conn conns[kMaxConns];
static int log_fd = -1;
static uint64_t log_off = 0;
static int64_t seq = 0;
static int64_t zxid = 0;

static void die(const char *what) {
  fprintf(stderr, "zkfloor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }

/* A reader over one frame; `bad` is set once a field runs past the end. */
typedef struct { const uint8_t *p; size_t n, at; int bad; } Rd;
static uint32_t rd32(Rd *r) {
  if (r->at + 4 > r->n) { r->bad = 1; return 0; }
  uint32_t v = get32(r->p + r->at);
  r->at += 4;
  return v;
}
static void rdskip(Rd *r, size_t k) { if (r->at + k > r->n) r->bad = 1; else r->at += k; }
/* A jute buffer or string: int length (-1 = null) and bytes. Returns the bytes, sets *len. */
static const uint8_t *rdbuf(Rd *r, int32_t *len) {
  *len = (int32_t)rd32(r);
  if (r->bad || *len < 0) { if (*len < 0) *len = 0; return NULL; }
  const uint8_t *s = r->p + r->at;
  rdskip(r, (size_t)*len);
  return s;
}

static int reply(Conn *c, const uint8_t *body, size_t n) {
  if (c->out_len + 4 + n > kReplyCap) return -1;
  put32(c->out + c->out_len, (uint32_t)n);
  memcpy(c->out + c->out_len + 4, body, n);
  c->out_len += 4 + n;
  return 0;
}

static void close_conn(Conn *c) {
  close(c->fd);
  c->fd = -1;
  c->in_len = c->out_len = 0;
  c->connected = 0;
}

static void log_append(const uint8_t *f, size_t n) {
  if (log_off + n > kLogBytes) log_off = 0;
  if (pwrite(log_fd, f, n, (off_t)log_off) != (ssize_t)n) die("pwrite");
  log_off += n;
}

/* The answer to one client frame, in b (at least 256 bytes); *write says whether it changes state.
 * Returns the reply's length, or -1 for a frame to close the connection on. */
static int answer(Conn *c, const uint8_t *f, size_t n, uint8_t *b, int *write) {
  Rd r = {f, n, 0, 0};
  *write = 0;
  if (!c->connected) { /* ConnectRequest: version, lastZxidSeen, timeOut, sessionId, passwd, [readOnly] */
    rd32(&r); rdskip(&r, 8);
    uint32_t timeout = rd32(&r);
    rdskip(&r, 8);
    int32_t pl;
    rdbuf(&r, &pl);
    if (r.bad) return -1;
    int ro = r.at < n;
    put32(b, 0); put32(b + 4, timeout); put64(b + 8, 0x100000000ull + (uint64_t)c->fd);
    put32(b + 16, 16); memset(b + 20, 0, 16);
    b[36] = 0;
    c->connected = 1;
    return ro ? 37 : 36;
  }
  int32_t xid = (int32_t)rd32(&r), type = (int32_t)rd32(&r);
  if (r.bad) return -1;
  *write = type == 1 || type == 2 || type == 5 || type == 15 || type == 19;
  if (*write) zxid++;
  put32(b, (uint32_t)xid); put64(b + 4, (uint64_t)zxid); put32(b + 12, 0);
  size_t len = 16;
  uint8_t stat[68];
  memset(stat, 0, sizeof stat);
  switch (type) {
    case 1: case 15: case 19: { /* create: path, data, acl vector, flags */
      int32_t pl, dl, k;
      const uint8_t *path = rdbuf(&r, &pl);
      rdbuf(&r, &dl);
      int32_t nacl = (int32_t)rd32(&r);
      for (int32_t i = 0; i < nacl && !r.bad; i++) { rd32(&r); rdbuf(&r, &k); rdbuf(&r, &k); }
      uint32_t flags = rd32(&r);
      if (r.bad || pl > 150) return -1;
      char name[200];
      memcpy(name, path, (size_t)pl);
      int nl = pl;
      if (flags & 2) nl += snprintf(name + pl, sizeof name - (size_t)pl, "%010lld", (long long)seq++);
      put32(b + len, (uint32_t)nl); memcpy(b + len + 4, name, (size_t)nl); len += 4 + (size_t)nl;
      if (type != 1) { memcpy(b + len, stat, 68); len += 68; }
      break;
    }
    case 5: case 3: memcpy(b + len, stat, 68); len += 68; break;       /* setData, exists: Stat */
    case 4:                                                            /* getData: data, Stat */
      put32(b + len, 100); memset(b + len + 4, 0, 100); len += 104;
      memcpy(b + len, stat, 68); len += 68;
      break;
    default: break;                                                    /* delete, ping, closeSession, ...: header only */
  }
  return (int)len;
}

static int flush_out(Conn *c) {
  size_t done = 0;
  while (done < c->out_len) {
    ssize_t w = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) { /* the client stopped reading: wait for room */
      struct pollfd p = {c->fd, POLLOUT, 0};
      poll(&p, 1, 1000);
      continue;
    }
    if (w <= 0) return -1;
    done += (size_t)w;
  }
  c->out_len = 0;
  return 0;
}

/* Writes every connection's held replies; a client that fails is closed. */
static void flush_all(void) {
  for (int i = 0; i < kMaxConns; i++)
    if (conns[i].fd >= 0 && conns[i].out_len > 0 && flush_out(&conns[i]) < 0) close_conn(&conns[i]);
}

static int listen_on(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(s, 64) < 0) die("listen");
  return s;
}

static void open_log(const char *path) {
  log_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) die(path);
  static uint8_t zeros[1 << 20];
  for (uint64_t off = 0; off < kLogBytes; off += sizeof zeros)
    if (pwrite(log_fd, zeros, sizeof zeros, (off_t)off) != (ssize_t)sizeof zeros) die("preallocate");
  if (fsync(log_fd) < 0) die("fsync");
}

/* ---------------------------------------------------------------- the ensemble's links */

enum { kFwd = 1, kProp = 2, kAck = 3, kCommit = 4, kPeerHead = 13, kRing = 4096 };

typedef struct { int fd; uint8_t *in; size_t in_len; } Link;

static void send_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("send to a peer");
    p += w;
    n -= (size_t)w;
  }
}

/* A peer message: u32 length of the rest, u8 type, u64 zxid, payload. */
static void send_peer(int fd, int type, uint64_t z, const uint8_t *payload, size_t n) {
  static uint8_t buf[kMaxFrame + kPeerHead];
  put32(buf, (uint32_t)(9 + n));
  buf[4] = (uint8_t)type;
  put64(buf + 5, z);
  if (n) memcpy(buf + kPeerHead, payload, n);
  send_all(fd, buf, kPeerHead + n);
}

static int connect_to(int port) {
  for (int tries = 0; tries < 500; tries++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) return s;
    close(s);
    usleep(10000);
  }
  die("connect to the leader");
  return -1;
}

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Writes held for their commit on the client-facing follower: entry k answers the k-th forwarded
 * write, which the leader proposes as zxid k+1 (only that follower forwards). */
typedef struct { int slot; uint32_t gen; size_t len; uint8_t b[256]; } Held;
static Held ring[kRing];
static uint64_t held_head = 0, held_tail = 0; /* entries [head, tail) wait; entry k is zxid k+1 */
static uint32_t conn_gen[kMaxConns];

/* ---------------------------------------------------------------- one server's loop */

enum Role { kStandalone, kLeader, kFollowerClients, kFollower };

static void serve(enum Role role, int client_ls, int quorum_ls, int leader_port) {
  for (int i = 0; i < kMaxConns; i++) {
    conns[i].fd = -1;
    conns[i].in = malloc(kMaxFrame + 4);
    conns[i].out = malloc(kReplyCap);
    if (!conns[i].in || !conns[i].out) die("malloc");
  }
  Link links[2] = {{-1, NULL, 0}, {-1, NULL, 0}}; /* leader: its followers; follower: links[0] = leader */
  for (int i = 0; i < 2; i++) if (!(links[i].in = malloc(2 * (kMaxFrame + kPeerHead)))) die("malloc");
  if (role == kLeader) {
    for (int i = 0; i < 2; i++) {
      links[i].fd = accept4(quorum_ls, NULL, NULL, SOCK_CLOEXEC);
      if (links[i].fd < 0) die("accept a follower");
      nodelay(links[i].fd);
    }
  } else if (role != kStandalone) {
    links[0].fd = connect_to(leader_port);
    nodelay(links[0].fd);
  }
  uint64_t proposed = 0, appended = 0, committed = 0, acked[2] = {0, 0};
  struct pollfd pf[kMaxConns + 3];
  int idx[kMaxConns + 3];
  for (;;) {
    int np = 0;
    if (client_ls >= 0) { idx[np] = -1; pf[np++] = (struct pollfd){client_ls, POLLIN, 0}; }
    for (int i = 0; i < 2; i++)
      if (links[i].fd >= 0) { idx[np] = -2 - i; pf[np++] = (struct pollfd){links[i].fd, POLLIN, 0}; }
    for (int i = 0; i < kMaxConns; i++)
      if (conns[i].fd >= 0) { idx[np] = i; pf[np++] = (struct pollfd){conns[i].fd, POLLIN, 0}; }
    if (poll(pf, (nfds_t)np, -1) < 0) { if (errno == EINTR) continue; die("poll"); }
    int to_sync = 0;
    for (int k = 0; k < np; k++) {
      if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (idx[k] == -1) { /* a client connects */
        int fd = accept4(client_ls, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) continue;
        nodelay(fd);
        int slot = -1;
        for (int i = 0; i < kMaxConns && slot < 0; i++) if (conns[i].fd < 0) slot = i;
        if (slot < 0) close(fd); else { conns[slot].fd = fd; conn_gen[slot]++; }
        continue;
      }
      if (idx[k] <= -2) { /* a peer's messages */
        Link *l = &links[-2 - idx[k]];
        ssize_t got = recv(l->fd, l->in + l->in_len, 2 * (kMaxFrame + kPeerHead) - l->in_len, 0);
        if (got <= 0) { if (got < 0 && errno == EINTR) continue; exit(0); } /* the ensemble is stopping */
        l->in_len += (size_t)got;
        size_t at = 0;
        while (l->in_len - at >= 4) {
          uint32_t ml = get32(l->in + at);
          if (l->in_len - at - 4 < ml) break;
          const uint8_t *m = l->in + at + 4, *payload = m + 9;
          size_t pn = ml - 9;
          uint64_t z = (uint64_t)get32(m + 1) << 32 | get32(m + 5);
          if (m[0] == kFwd) { /* leader: propose it, to both followers, and log it */
            proposed++;
            for (int i = 0; i < 2; i++) send_peer(links[i].fd, kProp, proposed, payload, pn);
            log_append(payload, pn);
            appended = proposed;
            to_sync = 1;
          } else if (m[0] == kAck) {
            int from = -2 - idx[k];
            if (z > acked[from]) acked[from] = z;
          } else if (m[0] == kProp) { /* follower: log it, ack after the batch's sync */
            log_append(payload, pn);
            appended = z;
            to_sync = 1;
          } else if (m[0] == kCommit) { /* follower: answer the writes it holds up to z */
            committed = z;
            while (held_head < held_tail && held_head + 1 <= committed) {
              Held *h = &ring[held_head % kRing];
              if (conns[h->slot].fd >= 0 && conn_gen[h->slot] == h->gen && reply(&conns[h->slot], h->b, h->len) < 0)
                close_conn(&conns[h->slot]);
              held_head++;
            }
          }
          at += 4 + ml;
        }
        memmove(l->in, l->in + at, l->in_len - at);
        l->in_len -= at;
        continue;
      }
      Conn *c = &conns[idx[k]];
      ssize_t got = recv(c->fd, c->in + c->in_len, kMaxFrame + 4 - c->in_len, 0);
      if (got <= 0) { if (got < 0 && errno == EAGAIN) continue; close_conn(c); continue; }
      c->in_len += (size_t)got;
      size_t at = 0;
      int bad = 0;
      while (c->in_len - at >= 4) {
        uint32_t fl = get32(c->in + at);
        if (fl > kMaxFrame) { bad = 1; break; }
        if (c->in_len - at - 4 < fl) break;
        const uint8_t *f = c->in + at + 4;
        uint8_t b[256];
        int write;
        int len = answer(c, f, fl, b, &write);
        if (len < 0) { bad = 1; break; }
        if (write && role == kFollowerClients) { /* forward it; answer on its commit */
          if (held_tail - held_head >= kRing) { bad = 1; break; }
          Held *h = &ring[held_tail % kRing];
          h->slot = idx[k];
          h->gen = conn_gen[idx[k]];
          h->len = (size_t)len;
          memcpy(h->b, b, (size_t)len);
          held_tail++;
          send_peer(links[0].fd, kFwd, 0, f, fl);
        } else {
          if (reply(c, b, (size_t)len) < 0) { bad = 1; break; }
          if (write) { log_append(f, fl); to_sync = 1; }
        }
        at += 4 + fl;
      }
      if (bad) { close_conn(c); continue; }
      memmove(c->in, c->in + at, c->in_len - at);
      c->in_len -= at;
    }
    /* The client-facing follower answers what the quorum committed before its own sync, as a ZooKeeper
     * follower does; a standalone server answers only after its sync. */
    if (role == kFollowerClients)
      flush_all();
    if (to_sync && fdatasync(log_fd) < 0) die("fdatasync");
    if (to_sync && (role == kFollower || role == kFollowerClients)) send_peer(links[0].fd, kAck, appended, NULL, 0);
    if (role == kLeader) { /* commit what a quorum (2 of 3) has made durable: the second highest */
      uint64_t a = appended, b = acked[0], c = acked[1], lo = a < b ? a : b, hi = a < b ? b : a;
      uint64_t quorum = c >= hi ? hi : (c > lo ? c : lo);
      if (quorum > committed) {
        committed = quorum;
        for (int i = 0; i < 2; i++) send_peer(links[i].fd, kCommit, committed, NULL, 0);
      }
    }
    flush_all();
  }
}

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity");
}

static int usage(void) {
  fprintf(stderr,
          "usage: zkfloor --port P --log FILE [--cpu N] [--ensemble]\n"
          "  zkfloor --port 22199 --log /tmp/floor/log.dat --cpu 1\n"
          "      one server: each batch of writes is one pwrite per request + one fdatasync, then answered\n"
          "  zkfloor --port 22199 --log /tmp/floor/log.dat --cpu 1 --ensemble\n"
          "      three processes (a leader and two followers, logs FILE.0-2); the client talks to a follower,\n"
          "      which forwards writes to the leader; the leader proposes to both followers, every member\n"
          "      logs and fdatasyncs, and the leader commits once two of the three have synced\n");
  return 2;
}

int main(int argc, char **argv) {
  int port = 0, cpu = -1, ensemble = 0;
  const char *log = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--log") && i + 1 < argc) log = argv[++i];
    else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) cpu = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--ensemble")) ensemble = 1;
    else return usage();
  }
  if (port <= 0 || log == NULL) { fprintf(stderr, "zkfloor: --port and --log are required\n"); return usage(); }
  signal(SIGPIPE, SIG_IGN);
  pin(cpu);
  int client_ls = listen_on(port);
  if (!ensemble) {
    open_log(log);
    fprintf(stderr, "zkfloor: listening on 127.0.0.1:%d, log %s\n", port, log);
    serve(kStandalone, client_ls, -1, 0);
  }
  /* The leader's quorum port: the client port + 1 would collide with whatever else runs, so the
   * kernel picks one before the fork and every member learns it from here. */
  int quorum_ls = listen_on(0);
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  if (getsockname(quorum_ls, (struct sockaddr *)&a, &al) < 0) die("getsockname");
  int qport = ntohs(a.sin_port);
  pid_t kids[3];
  for (int id = 0; id < 3; id++) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      char path[4096];
      snprintf(path, sizeof path, "%s.%d", log, id);
      open_log(path);
      if (id == 0) { close(client_ls); serve(kLeader, -1, quorum_ls, 0); }
      close(quorum_ls);
      if (id == 1) serve(kFollowerClients, client_ls, -1, qport);
      close(client_ls);
      serve(kFollower, -1, -1, qport);
    }
    kids[id] = pid;
  }
  close(client_ls);
  close(quorum_ls);
  fprintf(stderr, "zkfloor: ensemble of 3 (pids %d %d %d), clients on 127.0.0.1:%d (a follower), logs %s.0-2\n",
          kids[0], kids[1], kids[2], port, log);
  int status;
  pid_t gone = wait(&status);
  fprintf(stderr, "zkfloor: member %d exited (status %d); stopping\n", gone, status);
  for (int id = 0; id < 3; id++) kill(kids[id], SIGKILL);
  return 1;
}
