// Bulk work (session records, large pages of history, serialising them) runs on threads of a lower
// priority than the I/O threads and the store's writer: on a small machine those that serve the
// other users' round trips then get the cores first, and the bulk work takes what is left.
#pragma once

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace outloud::core {

// The nice value of bulk threads (0 is the process's own; 19 the lowest priority). An unprivileged
// process can lower a thread's priority but never raise it back: bulk threads stay bulk.
inline constexpr int kBulkNice = 10;

// Lowers the calling thread's priority to kBulkNice, once per thread.
inline void run_at_bulk_priority() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  // Linux: a thread's nice value is its own; setpriority takes its tid as the process id.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kBulkNice);
}

}  // namespace outloud::core
