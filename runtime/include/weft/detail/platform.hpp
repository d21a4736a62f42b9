// weft/detail/platform.hpp — small operating-system and text helpers that every layer uses:
// one copy each, so that reports word the same thing the same way everywhere.
// Not a public API.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace weft::detail {

// "dir/file.cpp" -> "file.cpp": reports name files by base name, so they are the same on every
// machine and in every build folder.
std::string_view base_name(std::string_view path) noexcept;
inline std::string_view base_name(const char* path) noexcept {
  return base_name(std::string_view(path != nullptr ? path : ""));
}

// The readable C++ name of a mangled one (itself when it cannot be demangled).
std::string demangle(const char* mangled);

// waitpid that retries on EINTR: the pid, 0 (WNOHANG and still running) or -1 with errno set.
pid_t wait_child(pid_t pid, int* status, int options = 0) noexcept;

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); false on an error.
bool write_all(int fd, std::string_view bytes) noexcept;

// A wait status in words: "exit status 3", "killed by signal 11 (Segmentation fault)".
std::string describe_wait_status(int status);

// A wait status as Python's multiprocessing reports an exit code: the exit status, or minus the
// signal that killed the process.
int exit_code_of(int status) noexcept;

// Seconds as a person writes them: "10", "0.5", "2.25" (printf's %g).
std::string format_seconds(double seconds);

// One round of a busy-wait: tells the CPU this is a spin (cheaper for a sibling hyper-thread, no
// memory-order mis-speculation when the awaited store arrives).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace weft::detail
