/* LD_PRELOAD shim of the fault-injection tests: a write() or pwrite() that would take a
 * regular file past ID_WRITE_LIMIT bytes fails with ENOSPC, as a full disk would, so small
 * files still get written and a large one fails part-way. Standard streams, pipes and
 * sockets are not affected. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static long long write_limit(void) {
  static long long limit = -2;
  if (limit == -2) {
    const char* text = getenv("ID_WRITE_LIMIT");
    limit = text ? atoll(text) : -1;
  }
  return limit;
}

static int over_limit(int fd, off_t at, size_t count) {
  struct stat st;
  if (write_limit() < 0 || fd <= 2 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  if (at < 0) at = lseek(fd, 0, SEEK_CUR);
  return at >= 0 && (long long)at + (long long)count > write_limit();
}

ssize_t write(int fd, const void* buffer, size_t count) {
  static ssize_t (*real)(int, const void*, size_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  if (over_limit(fd, -1, count)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buffer, count);
}

ssize_t pwrite(int fd, const void* buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
  if (over_limit(fd, offset, count)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buffer, count, offset);
}
