/**
 * nlsock: the native shim of nlwire. Plain C over Node-API (NAPI_VERSION 8).
 *
 * Contract: every export takes file descriptors and numbers, and returns an
 * integer >= 0 on success or -errno on failure. Nothing throws, except a
 * TypeError when a JavaScript argument has the wrong type. EINTR is retried
 * here; EAGAIN is returned as -EAGAIN. There is no parsing, sequencing,
 * queueing or retrying in C: JavaScript owns every policy.
 *
 *   open(protocol, netnsFd = -1)          fd: AF_NETLINK, SOCK_RAW, non-blocking,
 *                                        close-on-exec; created inside netnsFd's
 *                                        network namespace when netnsFd >= 0
 *   bind(fd, groups, pid = 0)             0 (pid 0: the kernel assigns one)
 *   portId(fd)                            nl_pid, as an unsigned 32-bit number
 *   setsockopt(fd, level, name, value)    0 (int-valued options)
 *   getsockopt(fd, level, name)           the int value (see nl_getsockopt)
 *   send(fd, buf, offset, length, destPid, destGroups)   bytes sent
 *   recv(fd, buf, offset, length, flags, addrOut)        bytes received; with
 *                                        MSG_TRUNC the datagram's real length;
 *                                        addrOut[0] = sender nl_pid,
 *                                        addrOut[1] = sender nl_groups
 *   recvMany(fd, buf, slot, max, flags, metaOut)   datagrams received (up to
 *                                        max, at most RECV_MANY_MAX) with one
 *                                        recvmmsg(2), the i-th at buf[i * slot];
 *                                        metaOut[4i .. 4i+3] = length (real
 *                                        length with MSG_TRUNC), sender nl_pid,
 *                                        nl_groups, msg_flags
 *   recvManyAsync(fd, buf, slot, max, flags, metaOut, onDone)   0: recvMany
 *                                        on a thread of libuv's pool, then
 *                                        onDone(count or -errno) on the loop;
 *                                        close() meanwhile waits for it
 *   poll(fd, onReadable)                  0; onReadable(0) when readable,
 *                                        onReadable(-errno) on a socket error
 *                                        (-ENOBUFS: receive overrun), after
 *                                        which polling goes on
 *   pollStop(fd)                          0
 *   close(fd)                             0; a second close returns -EBADF
 *   version, constants                    numbers
 *
 * Port ids are unsigned: the kernel's autobind hands out ids counting down
 * from 0xfffff000 once the process id is taken, so ids above 2^31 are normal.
 * portId() returns them as non-negative JavaScript numbers (0 .. 2^32-1);
 * only errors are negative, so the two cannot be confused.
 *
 * Sockets belong to the Node environment (main thread or worker) whose
 * binding opened them: poll() and close() only accept descriptors that this
 * binding's open() returned and that are not yet closed, so a stale second
 * close() can never close a descriptor the process has since reused. When the
 * environment is torn down, its poll handles and sockets are closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <node_api.h>
#include <uv.h>

#define NLSOCK_VERSION 3

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct shim;

/* One socket opened by this binding, with its poll handle once poll() ran. */
typedef struct nl_socket {
  uv_poll_t poll; /* valid when has_handle; freed in on_handle_closed */
  int fd;
  bool has_handle;
  napi_ref callback;
  napi_async_context async;
  struct shim *shim;
  struct nl_socket *next;
  int reads;     /* recvManyAsync calls not completed yet: they hold the struct */
  bool closing;  /* close() came while reads > 0: released by the last one */
  bool released; /* fd closed and handle closing: freed once both are done */
} nl_socket;

/* Per loaded copy of the addon (one per Node environment). */
typedef struct shim {
  napi_env env;
  nl_socket *sockets;
  unsigned handles; /* poll handles initialised and not yet closed */
  napi_async_cleanup_hook_handle teardown;
} shim;

/* ---- argument helpers: a wrong type throws TypeError, nothing else does -- */

static bool type_error(napi_env env, const char *what) {
  napi_throw_type_error(env, NULL, what);
  return false;
}

static bool get_args(napi_env env, napi_callback_info info, size_t n,
                     napi_value *argv, shim **sh) {
  size_t argc = n;
  void *data = NULL;
  /* Missing arguments come back as undefined and fail the type checks. */
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok)
    return false;
  if (sh != NULL) *sh = data;
  return true;
}

static bool is_undefined(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_undefined;
}

static bool arg_i32(napi_env env, napi_value v, const char *what,
                    int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok || type_error(env, what);
}

static bool arg_u32(napi_env env, napi_value v, const char *what,
                    uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok || type_error(env, what);
}

static bool arg_i64(napi_env env, napi_value v, const char *what,
                    int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok || type_error(env, what);
}

static bool arg_typed(napi_env env, napi_value v, napi_typedarray_type want,
                      const char *what, uint8_t **data, size_t *bytes) {
  bool is = false;
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return type_error(env, what);
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok ||
      type != want)
    return type_error(env, what);
  *data = ptr;
  *bytes = length * (want == napi_uint32_array ? 4 : 1);
  return true;
}

/* [offset, offset + length) must lie inside the array; -EFAULT otherwise, as
 * the kernel answers for a buffer it cannot reach. */
static bool in_bounds(int64_t offset, int64_t length, size_t bytes) {
  return offset >= 0 && length >= 0 && (uint64_t)offset <= bytes &&
         (uint64_t)length <= bytes - (uint64_t)offset;
}

static napi_value num(napi_env env, int64_t v) {
  napi_value r = NULL;
  napi_create_int64(env, v, &r);
  return r;
}

static nl_socket *find_socket(shim *sh, int fd) {
  for (nl_socket *s = sh->sockets; s != NULL; s = s->next)
    if (s->fd == fd) return s;
  return NULL;
}

static nl_socket *unlink_socket(shim *sh, int fd) {
  for (nl_socket **p = &sh->sockets; *p != NULL; p = &(*p)->next) {
    if ((*p)->fd == fd) {
      nl_socket *s = *p;
      *p = s->next;
      return s;
    }
  }
  return NULL;
}

/* ---- socket lifetime ---------------------------------------------------- */

static int open_socket(int protocol, int netns) {
  int self = -1, fd, err = 0;
  if (netns >= 0) {
    /* setns() moves only the calling thread. Remember this thread's own
     * namespace (not the process's: another thread may have moved) so it
     * can go back once the socket exists; a socket stays in the namespace
     * it was created in. */
    self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) return -errno;
    if (setns(netns, CLONE_NEWNET) < 0) {
      err = errno;
      close(self);
      return -err;
    }
  }
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) err = errno;
  if (self >= 0) {
    /* Going back to a namespace we just left cannot fail short of memory
     * exhaustion; carrying on would silently run the whole JavaScript
     * thread inside the other namespace, so stop instead. */
    if (setns(self, CLONE_NEWNET) < 0)
      napi_fatal_error("nlsock.open", NAPI_AUTO_LENGTH,
                       "cannot return to the thread's own network namespace",
                       NAPI_AUTO_LENGTH);
    close(self);
  }
  return fd < 0 ? -err : fd;
}

static int close_fd(int fd) {
  /* Linux releases the descriptor even when close() reports EINTR: retrying
   * could close a descriptor another thread has just been given. */
  if (close(fd) < 0 && errno != EINTR) return -errno;
  return 0;
}

/* Frees a released socket once nothing uses the struct: neither libuv (its
 * handle closing) nor a pool thread (a recvManyAsync in flight, which can
 * outlive the fd when the environment is torn down). */
static void maybe_free(nl_socket *s) {
  if (s->released && !s->has_handle && s->reads == 0) free(s);
}

static void on_handle_closed(uv_handle_t *handle) {
  nl_socket *s = handle->data;
  shim *sh = s->shim;
  if (s->callback != NULL) napi_delete_reference(sh->env, s->callback);
  if (s->async != NULL) napi_async_destroy(sh->env, s->async);
  s->callback = NULL;
  s->async = NULL;
  s->has_handle = false;
  maybe_free(s);
  if (--sh->handles == 0 && sh->teardown != NULL) {
    napi_remove_async_cleanup_hook(sh->teardown);
    free(sh);
  }
}

/* Frees s (at once, or once libuv has closed its handle) and closes its fd.
 * uv_close() comes first: it removes the fd from epoll, which must happen
 * while the descriptor number still means this socket. */
static int release_socket(nl_socket *s) {
  int fd = s->fd;
  s->released = true;
  if (s->has_handle)
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  else
    maybe_free(s);
  return close_fd(fd);
}

/* Environment teardown (worker exit, process exit): libuv refuses to close a
 * loop that still has handles, so close ours and finish once they are gone. */
static void on_env_teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  shim *sh = arg;
  sh->teardown = hook;
  while (sh->sockets != NULL) {
    nl_socket *s = sh->sockets;
    sh->sockets = s->next;
    release_socket(s);
  }
  if (sh->handles == 0) {
    napi_remove_async_cleanup_hook(hook);
    free(sh);
  }
}

/* ---- exports ------------------------------------------------------------ */

static napi_value nl_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  shim *sh;
  int32_t protocol, netns = -1;
  if (!get_args(env, info, 2, argv, &sh) ||
      !arg_i32(env, argv[0], "open: protocol must be a number", &protocol) ||
      (!is_undefined(env, argv[1]) &&
       !arg_i32(env, argv[1], "open: netnsFd must be a number", &netns)))
    return NULL;
  int fd = open_socket(protocol, netns);
  if (fd < 0) return num(env, fd);
  nl_socket *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close_fd(fd);
    return num(env, -ENOMEM);
  }
  s->fd = fd;
  s->shim = sh;
  s->next = sh->sockets;
  sh->sockets = s;
  return num(env, fd);
}

static napi_value nl_bind(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  uint32_t groups, pid = 0;
  if (!get_args(env, info, 3, argv, NULL) ||
      !arg_i32(env, argv[0], "bind: fd must be a number", &fd) ||
      !arg_u32(env, argv[1], "bind: groups must be a number", &groups) ||
      (!is_undefined(env, argv[2]) &&
       !arg_u32(env, argv[2], "bind: pid must be a number", &pid)))
    return NULL;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_pid = pid, .nl_groups = groups};
  return num(env, bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? -errno : 0);
}

static napi_value nl_port_id(napi_env env, napi_callback_info info) {
  napi_value argv[1], r = NULL;
  int32_t fd;
  if (!get_args(env, info, 1, argv, NULL) ||
      !arg_i32(env, argv[0], "portId: fd must be a number", &fd))
    return NULL;
  struct sockaddr_nl sa = {0};
  socklen_t len = sizeof sa;
  if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) return num(env, -errno);
  napi_create_uint32(env, sa.nl_pid, &r);
  return r;
}

static napi_value nl_setsockopt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, level, name, value;
  if (!get_args(env, info, 4, argv, NULL) ||
      !arg_i32(env, argv[0], "setsockopt: fd must be a number", &fd) ||
      !arg_i32(env, argv[1], "setsockopt: level must be a number", &level) ||
      !arg_i32(env, argv[2], "setsockopt: name must be a number", &name) ||
      !arg_i32(env, argv[3], "setsockopt: value must be a number", &value))
    return NULL;
  int v = value;
  return num(env, setsockopt(fd, level, name, &v, sizeof v) < 0 ? -errno : 0);
}

/* For int options whose values are never negative (buffer sizes, SO_ERROR,
 * the NETLINK_* flags): a negative value could not be told from -errno. */
static napi_value nl_getsockopt(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, level, name;
  if (!get_args(env, info, 3, argv, NULL) ||
      !arg_i32(env, argv[0], "getsockopt: fd must be a number", &fd) ||
      !arg_i32(env, argv[1], "getsockopt: level must be a number", &level) ||
      !arg_i32(env, argv[2], "getsockopt: name must be a number", &name))
    return NULL;
  int v = 0;
  socklen_t len = sizeof v;
  return num(env, getsockopt(fd, level, name, &v, &len) < 0 ? -errno : v);
}

static napi_value nl_send(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd;
  int64_t offset, length;
  uint32_t pid, groups;
  uint8_t *data;
  size_t bytes;
  if (!get_args(env, info, 6, argv, NULL) ||
      !arg_i32(env, argv[0], "send: fd must be a number", &fd) ||
      !arg_typed(env, argv[1], napi_uint8_array, "send: buf must be a Uint8Array", &data, &bytes) ||
      !arg_i64(env, argv[2], "send: offset must be a number", &offset) ||
      !arg_i64(env, argv[3], "send: length must be a number", &length) ||
      !arg_u32(env, argv[4], "send: destPid must be a number", &pid) ||
      !arg_u32(env, argv[5], "send: destGroups must be a number", &groups))
    return NULL;
  if (!in_bounds(offset, length, bytes)) return num(env, -EFAULT);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_pid = pid, .nl_groups = groups};
  ssize_t n;
  do
    n = sendto(fd, data + offset, (size_t)length, 0, (struct sockaddr *)&sa, sizeof sa);
  while (n < 0 && errno == EINTR);
  return num(env, n < 0 ? -errno : n);
}

static napi_value nl_recv(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd, flags;
  int64_t offset, length;
  uint8_t *data, *addr;
  size_t bytes, addr_bytes;
  if (!get_args(env, info, 6, argv, NULL) ||
      !arg_i32(env, argv[0], "recv: fd must be a number", &fd) ||
      !arg_typed(env, argv[1], napi_uint8_array, "recv: buf must be a Uint8Array", &data, &bytes) ||
      !arg_i64(env, argv[2], "recv: offset must be a number", &offset) ||
      !arg_i64(env, argv[3], "recv: length must be a number", &length) ||
      !arg_i32(env, argv[4], "recv: flags must be a number", &flags) ||
      !arg_typed(env, argv[5], napi_uint32_array, "recv: addrOut must be a Uint32Array", &addr, &addr_bytes))
    return NULL;
  if (addr_bytes < 2 * sizeof(uint32_t)) {
    type_error(env, "recv: addrOut must have at least 2 elements");
    return NULL;
  }
  if (!in_bounds(offset, length, bytes)) return num(env, -EFAULT);
  struct sockaddr_nl sa = {0};
  socklen_t len;
  ssize_t n;
  do {
    len = sizeof sa;
    n = recvfrom(fd, data + offset, (size_t)length, flags, (struct sockaddr *)&sa, &len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return num(env, -errno);
  ((uint32_t *)addr)[0] = sa.nl_pid;
  ((uint32_t *)addr)[1] = sa.nl_groups;
  return num(env, n);
}

/* Most datagrams one recvMany call reads (recvmmsg's vlen). */
#define RECV_MANY_MAX 64

/* One recvmmsg(2) into max slots of data; the count, or -errno. */
static int recv_many(int fd, uint8_t *data, uint32_t slot, uint32_t max, int flags, uint32_t *m) {
  struct mmsghdr msgs[RECV_MANY_MAX];
  struct iovec iov[RECV_MANY_MAX];
  struct sockaddr_nl sa[RECV_MANY_MAX];
  memset(msgs, 0, max * sizeof msgs[0]);
  for (uint32_t i = 0; i < max; i++) {
    iov[i].iov_base = data + (size_t)i * slot;
    iov[i].iov_len = slot;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &sa[i];
    msgs[i].msg_hdr.msg_namelen = sizeof sa[i];
  }
  int n;
  do
    n = recvmmsg(fd, msgs, max, flags, NULL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    m[4 * i] = msgs[i].msg_len;
    m[4 * i + 1] = sa[i].nl_pid;
    m[4 * i + 2] = sa[i].nl_groups;
    m[4 * i + 3] = (uint32_t)msgs[i].msg_hdr.msg_flags;
  }
  return n;
}

/* recvMany(fd, buf, slot, max, flags, meta): up to max datagrams with one
 * recvmmsg(2), datagram i into buf[i * slot, (i + 1) * slot). meta (Uint32Array,
 * 4 per datagram) gets the real length (with MSG_TRUNC in flags: longer than
 * slot when truncated), the sender's port id, its groups and msg_flags.
 * Returns the number read, or -errno when none was (-EAGAIN: nothing queued).
 * An error met after the first datagram is kept by the kernel for the next
 * call, so an overrun (ENOBUFS) is never lost. */
/* The arguments recvMany and recvManyAsync share: (fd, buf, slot, max, flags,
 * metaOut). */
typedef struct {
  int32_t fd, flags;
  uint32_t slot, max;
  uint8_t *data;
  uint32_t *meta;
} recv_args;

/* Reads them from argv: 0; a TypeError pending (and 1) for a wrong type; -EFAULT
 * when max slots (at most RECV_MANY_MAX) do not fit buf, or metaOut is short. */
static int get_recv_args(napi_env env, napi_value *argv, bool async, recv_args *a) {
  uint8_t *meta;
  size_t bytes, meta_bytes;
  if (!arg_i32(env, argv[0], async ? "recvManyAsync: fd must be a number" : "recvMany: fd must be a number", &a->fd) ||
      !arg_typed(env, argv[1], napi_uint8_array,
                 async ? "recvManyAsync: buf must be a Uint8Array" : "recvMany: buf must be a Uint8Array", &a->data, &bytes) ||
      !arg_u32(env, argv[2], async ? "recvManyAsync: slot must be a number" : "recvMany: slot must be a number", &a->slot) ||
      !arg_u32(env, argv[3], async ? "recvManyAsync: max must be a number" : "recvMany: max must be a number", &a->max) ||
      !arg_i32(env, argv[4], async ? "recvManyAsync: flags must be a number" : "recvMany: flags must be a number", &a->flags) ||
      !arg_typed(env, argv[5], napi_uint32_array,
                 async ? "recvManyAsync: metaOut must be a Uint32Array" : "recvMany: metaOut must be a Uint32Array", &meta, &meta_bytes))
    return 1;
  a->meta = (uint32_t *)meta;
  if (a->max > RECV_MANY_MAX) a->max = RECV_MANY_MAX;
  if (a->slot == 0 || a->max == 0 || (uint64_t)a->slot * a->max > bytes ||
      meta_bytes < (size_t)a->max * 4 * sizeof(uint32_t))
    return -EFAULT;
  return 0;
}

static napi_value nl_recv_many(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  recv_args a;
  if (!get_args(env, info, 6, argv, NULL)) return NULL;
  int r = get_recv_args(env, argv, false, &a);
  if (r > 0) return NULL;
  if (r < 0) return num(env, r);
  return num(env, recv_many(a.fd, a.data, a.slot, a.max, a.flags, a.meta));
}

/* A recvManyAsync call: recv_many on a thread of libuv's pool. The buffers are
 * held by references until it completes. */
typedef struct {
  napi_async_work work;
  napi_ref buf, meta, cb;
  nl_socket *s;
  uint8_t *data;
  uint32_t *m;
  uint32_t slot, max;
  int flags;
  int result;
} recv_job;

static void recv_job_execute(napi_env env, void *arg) {
  recv_job *j = arg;
  (void)env;
  j->result = recv_many(j->s->fd, j->data, j->slot, j->max, j->flags, j->m);
}

static void recv_job_complete(napi_env env, napi_status status, void *arg) {
  recv_job *j = arg;
  nl_socket *s = j->s;
  napi_value cb, self, res, ignored;
  int result = status == napi_ok ? j->result : -ECANCELED;
  s->reads--;
  bool closed = s->closing || s->released;
  if (s->released) maybe_free(s);
  else if (s->closing && s->reads == 0) release_socket(s);
  if (!closed && napi_get_reference_value(env, j->cb, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &self) == napi_ok && napi_create_int32(env, result, &res) == napi_ok) {
    if (napi_call_function(env, self, cb, 1, &res, &ignored) == napi_pending_exception) {
      napi_value exception;
      if (napi_get_and_clear_last_exception(env, &exception) == napi_ok)
        napi_fatal_exception(env, exception);
    }
  }
  napi_delete_reference(env, j->buf);
  napi_delete_reference(env, j->meta);
  napi_delete_reference(env, j->cb);
  napi_delete_async_work(env, j->work);
  free(j);
}

/* recvManyAsync(fd, buf, slot, max, flags, meta, onDone): recvMany on a thread
 * of libuv's pool, so that the kernel's work (a dump is produced inside the
 * reads) runs beside JavaScript's; onDone(count or -errno) on the loop. buf
 * and meta must not be touched until then. A close() meanwhile takes effect
 * when the read is over (onDone is then not called). 0, or -errno. */
static napi_value nl_recv_many_async(napi_env env, napi_callback_info info) {
  napi_value argv[7], name;
  shim *sh;
  recv_args a;
  napi_valuetype t;
  if (!get_args(env, info, 7, argv, &sh)) return NULL;
  int r = get_recv_args(env, argv, true, &a);
  if (r > 0) return NULL;
  if (napi_typeof(env, argv[6], &t) != napi_ok || t != napi_function) {
    type_error(env, "recvManyAsync: onDone must be a function");
    return NULL;
  }
  if (r < 0) return num(env, r);
  nl_socket *s = find_socket(sh, a.fd);
  if (s == NULL) return num(env, -EBADF);
  recv_job *j = calloc(1, sizeof *j);
  if (j == NULL) return num(env, -ENOMEM);
  j->s = s;
  j->data = a.data;
  j->m = a.meta;
  j->slot = a.slot;
  j->max = a.max;
  j->flags = a.flags;
  if (napi_create_reference(env, argv[1], 1, &j->buf) != napi_ok ||
      napi_create_reference(env, argv[5], 1, &j->meta) != napi_ok ||
      napi_create_reference(env, argv[6], 1, &j->cb) != napi_ok ||
      napi_create_string_utf8(env, "nlsock.recvManyAsync", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, recv_job_execute, recv_job_complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    if (j->buf) napi_delete_reference(env, j->buf);
    if (j->meta) napi_delete_reference(env, j->meta);
    if (j->cb) napi_delete_reference(env, j->cb);
    if (j->work) napi_delete_async_work(env, j->work);
    free(j);
    return num(env, -ENOMEM);
  }
  s->reads++;
  return num(env, 0);
}

static void call_on_readable(nl_socket *s, int status) {
  napi_env env = s->shim->env;
  napi_handle_scope scope;
  napi_value cb, self, arg, result;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (napi_get_reference_value(env, s->callback, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &self) == napi_ok &&
      napi_create_int32(env, status, &arg) == napi_ok) {
    /* napi_make_callback, unlike napi_call_function, drains process.nextTick
     * and the microtask queue afterwards, so promises resolved by the
     * callback settle now rather than at some later, unrelated callback. */
    if (napi_make_callback(env, s->async, self, cb, 1, &arg, &result) ==
        napi_pending_exception) {
      napi_value exception;
      if (napi_get_and_clear_last_exception(env, &exception) == napi_ok)
        napi_fatal_exception(env, exception);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  nl_socket *s = handle->data;
  (void)events;
  if (status < 0) {
    /* libuv reports EPOLLERR as UV_EBADF and stops the handle. For netlink
     * the cause is in sk_err, set to ENOBUFS when a datagram was dropped
     * because the receive buffer was full. Reading SO_ERROR clears it
     * (otherwise epoll would report EPOLLERR again at once); then poll
     * again. SO_ERROR is 0 when a recv() already returned and cleared the
     * error: the socket may still hold data, so report it readable. */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
      status = -errno; /* the descriptor itself is unusable: stay stopped */
    } else {
      int r = uv_poll_start(handle, UV_READABLE, on_poll);
      status = r < 0 ? r : -err;
    }
  }
  /* The callback may close s; s is freed only later, in on_handle_closed. */
  call_on_readable(s, status);
}

static napi_value nl_poll(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  shim *sh;
  int32_t fd;
  napi_valuetype t;
  if (!get_args(env, info, 2, argv, &sh) ||
      !arg_i32(env, argv[0], "poll: fd must be a number", &fd))
    return NULL;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    type_error(env, "poll: onReadable must be a function");
    return NULL;
  }
  nl_socket *s = find_socket(sh, fd);
  if (s == NULL) return num(env, -EBADF);
  if (!s->has_handle) {
    uv_loop_t *loop;
    napi_value resource, name;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) return num(env, -EINVAL);
    int r = uv_poll_init(loop, &s->poll, fd);
    if (r < 0) return num(env, r); /* libuv errors are -errno on Linux */
    s->poll.data = s;
    s->has_handle = true;
    sh->handles++;
    if (napi_create_object(env, &resource) == napi_ok &&
        napi_create_string_utf8(env, "nlsock.poll", NAPI_AUTO_LENGTH, &name) == napi_ok)
      napi_async_init(env, resource, name, &s->async);
  }
  if (s->callback != NULL) napi_delete_reference(env, s->callback);
  s->callback = NULL;
  if (napi_create_reference(env, argv[1], 1, &s->callback) != napi_ok)
    return num(env, -ENOMEM);
  return num(env, uv_poll_start(&s->poll, UV_READABLE, on_poll));
}

static napi_value nl_poll_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  shim *sh;
  int32_t fd;
  if (!get_args(env, info, 1, argv, &sh) ||
      !arg_i32(env, argv[0], "pollStop: fd must be a number", &fd))
    return NULL;
  nl_socket *s = find_socket(sh, fd);
  if (s == NULL) return num(env, -EBADF);
  return num(env, s->has_handle ? uv_poll_stop(&s->poll) : 0);
}

static napi_value nl_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  shim *sh;
  int32_t fd;
  if (!get_args(env, info, 1, argv, &sh) ||
      !arg_i32(env, argv[0], "close: fd must be a number", &fd))
    return NULL;
  nl_socket *s = unlink_socket(sh, fd);
  if (s == NULL) return num(env, -EBADF);
  if (s->reads > 0) {
    /* A thread is reading from fd: stop polling now, close when it is done. */
    s->closing = true;
    if (s->has_handle) uv_poll_stop(&s->poll);
    return num(env, 0);
  }
  return num(env, release_socket(s));
}

/* ---- module ------------------------------------------------------------- */

static bool set_number(napi_env env, napi_value obj, const char *key, int64_t v) {
  napi_value n;
  return napi_create_int64(env, v, &n) == napi_ok &&
         napi_set_named_property(env, obj, key, n) == napi_ok;
}

/* Socket-level numbers differ between architectures (SOL_SOCKET is 0xffff
 * and SO_RCVBUF 0x1002 on MIPS and SPARC; errno values differ too), so
 * JavaScript takes them from here rather than hard-coding x86's. */
static napi_value make_constants(napi_env env) {
  napi_value c;
  if (napi_create_object(env, &c) != napi_ok) return NULL;
  const struct { const char *name; int64_t value; } list[] = {
      {"MSG_PEEK", MSG_PEEK},       {"MSG_TRUNC", MSG_TRUNC},
      {"MSG_DONTWAIT", MSG_DONTWAIT}, {"RECV_MANY_MAX", RECV_MANY_MAX},
      {"EAGAIN", EAGAIN},           {"EINTR", EINTR},
      {"ENOBUFS", ENOBUFS},         {"EBADF", EBADF},
      {"EFAULT", EFAULT},           {"ENOMEM", ENOMEM},
      {"SOL_SOCKET", SOL_SOCKET},   {"SOL_NETLINK", SOL_NETLINK},
      {"SO_RCVBUF", SO_RCVBUF},     {"SO_SNDBUF", SO_SNDBUF},
      {"SO_RCVBUFFORCE", SO_RCVBUFFORCE}, {"SO_SNDBUFFORCE", SO_SNDBUFFORCE},
      {"SO_ERROR", SO_ERROR},
  };
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
    if (!set_number(env, c, list[i].name, list[i].value)) return NULL;
  return c;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  shim *sh = calloc(1, sizeof *sh);
  napi_value constants, version;
  if (sh == NULL) {
    napi_throw_error(env, NULL, "nlsock: out of memory");
    return NULL;
  }
  sh->env = env;
  /* Each function carries this copy's table as its data, so two copies
   * loaded into one environment never see each other's sockets. */
  const napi_property_descriptor fns[] = {
      {"open", NULL, nl_open, NULL, NULL, NULL, napi_enumerable, sh},
      {"bind", NULL, nl_bind, NULL, NULL, NULL, napi_enumerable, sh},
      {"portId", NULL, nl_port_id, NULL, NULL, NULL, napi_enumerable, sh},
      {"setsockopt", NULL, nl_setsockopt, NULL, NULL, NULL, napi_enumerable, sh},
      {"getsockopt", NULL, nl_getsockopt, NULL, NULL, NULL, napi_enumerable, sh},
      {"send", NULL, nl_send, NULL, NULL, NULL, napi_enumerable, sh},
      {"recv", NULL, nl_recv, NULL, NULL, NULL, napi_enumerable, sh},
      {"recvMany", NULL, nl_recv_many, NULL, NULL, NULL, napi_enumerable, sh},
      {"recvManyAsync", NULL, nl_recv_many_async, NULL, NULL, NULL, napi_enumerable, sh},
      {"poll", NULL, nl_poll, NULL, NULL, NULL, napi_enumerable, sh},
      {"pollStop", NULL, nl_poll_stop, NULL, NULL, NULL, napi_enumerable, sh},
      {"close", NULL, nl_close, NULL, NULL, NULL, napi_enumerable, sh},
  };
  if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) != napi_ok ||
      (constants = make_constants(env)) == NULL ||
      napi_set_named_property(env, exports, "constants", constants) != napi_ok ||
      napi_create_uint32(env, NLSOCK_VERSION, &version) != napi_ok ||
      napi_set_named_property(env, exports, "version", version) != napi_ok ||
      napi_add_async_cleanup_hook(env, on_env_teardown, sh, NULL) != napi_ok) {
    free(sh);
    return NULL;
  }
  return exports;
}
