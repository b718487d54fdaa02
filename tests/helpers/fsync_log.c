/* LD_PRELOAD shim for the durability tests: logs every fsync/fdatasync of the process it is loaded
 * into, one line each, to the file named by OUTLOUD_FSYNC_LOG:
 *     <CLOCK_MONOTONIC ns> <call> <path of the descriptor>
 * (Node's process.hrtime uses the same clock.) The line is written after the real call returned:
 * it says the data was on disk at that moment. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int (*sync_fn)(int);

static void log_sync(const char* call, int fd) {
  const char* log_path = getenv("OUTLOUD_FSYNC_LOG");
  if (log_path == NULL) return;
  int saved_errno = errno;
  char link[64], target[512];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  target[n > 0 ? n : 0] = '\0';
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  char line[700];
  int length = snprintf(line, sizeof line, "%lld %s %s\n",
                        (long long)now.tv_sec * 1000000000LL + now.tv_nsec, call, target);
  int out = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (out >= 0) {
    if (write(out, line, (size_t)length) < 0) { /* nothing to do: the test will see a gap */ }
    close(out);
  }
  errno = saved_errno;
}

static int call_real(const char* name, int fd) {
  sync_fn real = (sync_fn)dlsym(RTLD_NEXT, name);
  if (real == NULL) {
    errno = ENOSYS;
    return -1;
  }
  int rc = real(fd);
  if (rc == 0) log_sync(name, fd);
  return rc;
}

int fsync(int fd) { return call_real("fsync", fd); }
int fdatasync(int fd) { return call_real("fdatasync", fd); }
