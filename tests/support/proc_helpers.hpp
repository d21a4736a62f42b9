// Shared by the Process and ProcessPoolExecutor tests.
#pragma once

#include <signal.h>

#include <cerrno>

#include <weft/serialize.hpp>

namespace proc_helpers {

// A descriptor-carrying handle, as ipc objects are: it crosses with add_fd / take_fd.
struct Fd {
  int fd = -1;
};
inline void serialize(weft::Writer& w, const Fd& f) { w.add_fd(f.fd); }
inline void deserialize(weft::Reader& r, Fd& f) { f.fd = r.take_fd(); }

// True once the process is gone and reaped (a zombie still accepts signal 0).
inline bool reaped(int pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

}  // namespace proc_helpers
