#include "symbolize.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <link.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>

namespace weft::detail {
namespace {

// Frames that belong to weft itself or to the standard library are skipped: the first frame
// left is the user's.
bool is_library_path(std::string_view file) {
  static constexpr std::string_view kMarkers[] = {
      "/include/weft/", "/runtime/src/", "/instrument/src/", "/checkers/src/",
      "/include/c++/",  "/usr/include/", "/boost/"};
  for (std::string_view m : kMarkers) {
    if (file.find(m) != std::string_view::npos) return true;
  }
  return file.empty() || file.front() == '?';
}

std::string_view basename(std::string_view p) {
  const auto slash = p.find_last_of('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

struct Frame {
  std::string function;
  std::string file;
  unsigned line = 0;
};

// addr2line's answer for one address: its inline chain, innermost first.
std::vector<Frame> resolve(const void* pc) {
  static std::map<const void*, std::vector<Frame>> cache;
  if (auto it = cache.find(pc); it != cache.end()) return it->second;
  std::vector<Frame> frames;
  Dl_info info{};
  if (dladdr(pc, &info) != 0 && info.dli_fname != nullptr && info.dli_fbase != nullptr) {
    const auto* header = static_cast<const ElfW(Ehdr)*>(info.dli_fbase);
    // Position-independent objects are symbolised by offset, fixed executables by address. The
    // return address points after the call: step back into the call instruction.
    const auto addr =
        reinterpret_cast<std::uintptr_t>(pc) - 1 -
        (header->e_type == ET_DYN ? reinterpret_cast<std::uintptr_t>(info.dli_fbase) : 0);
    std::string module = info.dli_fname;
    if (module.find('\'') != std::string::npos) return frames;
    // The main program may be named relative to a directory we are no longer in. (Resolved
    // here: in addr2line's process /proc/self/exe would be addr2line.)
    if (module.empty() || module.front() != '/') {
      char self[4096];
      const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
      if (n <= 0) return frames;
      module.assign(self, static_cast<std::size_t>(n));
    }
    char cmd[4096];
    std::snprintf(cmd, sizeof cmd, "addr2line -C -f -i -e '%s' 0x%jx 2>/dev/null", module.c_str(),
                  static_cast<std::uintmax_t>(addr));
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd, "r"), ::pclose);
    if (pipe) {
      std::array<char, 2048> fn{}, loc{};
      while (std::fgets(fn.data(), fn.size(), pipe.get()) != nullptr &&
             std::fgets(loc.data(), loc.size(), pipe.get()) != nullptr) {
        Frame f;
        f.function = std::string(fn.data(), std::strcspn(fn.data(), "\n"));
        std::string l(loc.data(), std::strcspn(loc.data(), "\n"));
        if (const auto d = l.find(" (discriminator"); d != std::string::npos) l.resize(d);
        const auto colon = l.rfind(':');
        if (colon != std::string::npos) {
          f.file = l.substr(0, colon);
          f.line = static_cast<unsigned>(std::strtoul(l.c_str() + colon + 1, nullptr, 10));
        }
        frames.push_back(std::move(f));
      }
    }
  }
  cache.emplace(pc, frames);
  return frames;
}

}  // namespace

bool needs_symbolizing(const Location& where) noexcept {
  return where.file == nullptr || *where.file == '\0' || is_library_path(where.file);
}

std::vector<void*> capture_stack() {
  std::vector<void*> stack(24);
  const int n = ::backtrace(stack.data(), static_cast<int>(stack.size()));
  stack.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return stack;
}

std::string user_frame(const std::vector<void*>& stack) {
  for (const void* pc : stack) {
    if (pc == nullptr) continue;
    for (const Frame& f : resolve(pc)) {
      if (is_library_path(f.file) || f.line == 0) continue;
      std::string s = std::string(basename(f.file)) + ":" + std::to_string(f.line);
      // Keep the name readable: drop the argument list of the innermost user function.
      std::string fn = f.function;
      if (const auto paren = fn.find('('); paren != std::string::npos && paren > 0) {
        fn.resize(paren);
      }
      if (const auto colons = fn.rfind("::"); colons != std::string::npos) {
        fn = fn.substr(colons + 2);
      }
      if (fn == "operator") fn = "operator()";  // a lambda, named as __builtin_FUNCTION does
      if (!fn.empty() && fn != "??") s += " (" + fn + ")";
      return s;
    }
  }
  return {};
}

}  // namespace weft::detail
