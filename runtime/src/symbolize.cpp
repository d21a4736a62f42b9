#include "symbolize.hpp"
#include <weft/detail/model.hpp>
#include <weft/detail/platform.hpp>

#include <dlfcn.h>
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdwfl.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>
#include <type_traits>

namespace weft::detail {
namespace {

// Frames that belong to weft itself or to the standard library are skipped: the first frame
// left is the user's.
bool is_library_path(std::string_view file) {
  static constexpr std::string_view kMarkers[] = {
      "/include/weft/", "/runtime/src/", "/instrument/src/", "/checkers/src/", "/process/src/",
      "/tools/src/",    "/include/c++/", "/usr/include/",    "/boost/"};
  for (std::string_view m : kMarkers) {
    if (file.find(m) != std::string_view::npos) return true;
  }
  return file.empty() || file.front() == '?';
}

struct Frame {
  std::string function;
  std::string file;
  unsigned line = 0;
};

// The object file holding `pc` and the address of `pc` as that file's symbols count it: an
// offset from the load base for position-independent objects, the address itself for fixed
// executables. Both are the same in every run of the same binary, whatever ASLR does.
struct ObjectAddress {
  std::string module;  // absolute path
  std::uintptr_t addr = 0;
};

bool object_address(const void* pc, ObjectAddress& out) {
  Dl_info info{};
  if (dladdr(pc, &info) == 0 || info.dli_fname == nullptr || info.dli_fbase == nullptr) {
    return false;
  }
  const auto* header = static_cast<const ElfW(Ehdr)*>(info.dli_fbase);
  out.addr = reinterpret_cast<std::uintptr_t>(pc) -
             (header->e_type == ET_DYN ? reinterpret_cast<std::uintptr_t>(info.dli_fbase) : 0);
  out.module = info.dli_fname;
  // The main program may be named relative to a directory we are no longer in.
  if (out.module.empty() || out.module.front() != '/') {
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return false;
    out.module.assign(self, static_cast<std::size_t>(n));
  }
  return true;
}

// Debug information of every object mapped into this process, read in process with elfutils'
// libdwfl: no helper program to find on PATH, no process per address. Modules loaded after the
// first look-up (dlopen) are found by reporting the process's mappings again.
class DebugInfo {
 public:
  static DebugInfo& instance() {
    static DebugInfo info;
    return info;
  }
  DebugInfo(const DebugInfo&) = delete;
  DebugInfo& operator=(const DebugInfo&) = delete;

  // The inline chain at `addr` (an address inside a call instruction), innermost first; empty
  // when no debug information covers it.
  std::vector<Frame> frames(std::uintptr_t addr) {
    if (dwfl_ == nullptr) return {};
    Dwfl_Module* module = dwfl_addrmodule(dwfl_, addr);
    if (module == nullptr && report()) module = dwfl_addrmodule(dwfl_, addr);
    if (module == nullptr) return {};
    Dwarf_Addr bias = 0;
    Dwarf_Die* cu = dwfl_module_addrdie(module, addr, &bias);
    if (cu == nullptr) return {};
    std::string file;
    unsigned line = 0;
    if (Dwfl_Line* l = dwfl_module_getsrc(module, addr); l != nullptr) {
      int n = 0;
      if (const char* f = dwfl_lineinfo(l, nullptr, &n, nullptr, nullptr, nullptr)) file = f;
      line = n > 0 ? static_cast<unsigned>(n) : 0;
    }
    Dwarf_Files* files = nullptr;
    std::size_t file_count = 0;
    if (dwarf_getsrcfiles(cu, &files, &file_count) != 0) files = nullptr;
    // dwarf_getscopes follows an inlined instance to its abstract definition's scopes (what
    // variable look-ups want); the chain of calls is the concrete instance's parents.
    Dwarf_Die* scopes = nullptr;
    int n = dwarf_getscopes(cu, addr - bias, &scopes);
    if (n > 0) {
      Dwarf_Die innermost;
      Dwarf_Addr dwarf_bias = 0;
      Dwarf* dwarf = dwfl_module_getdwarf(module, &dwarf_bias);
      const bool found = dwarf != nullptr &&
                         dwarf_offdie(dwarf, dwarf_dieoffset(&scopes[0]), &innermost) != nullptr;
      std::free(scopes);
      scopes = nullptr;
      n = found ? dwarf_getscopes_die(&innermost, &scopes) : 0;
    }
    std::vector<Frame> out;
    // Each inlined call is a frame of its own at the line the innermost code is on; the call's
    // own line (DW_AT_call_file/line) is where the frame around it stands.
    for (int i = 0; i < n; ++i) {
      const int tag = dwarf_tag(&scopes[i]);
      if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) continue;
      out.push_back(Frame{function_name(&scopes[i]), file, line});
      if (tag == DW_TAG_subprogram) break;
      Dwarf_Attribute attr;
      Dwarf_Word value = 0;
      file.clear();
      line = 0;
      if (files != nullptr &&
          dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &value) == 0) {
        if (const char* f = dwarf_filesrc(files, value, nullptr, nullptr)) file = f;
      }
      if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &value) == 0) {
        line = static_cast<unsigned>(value);
      }
    }
    std::free(scopes);
    if (out.empty() && line != 0) out.push_back(Frame{{}, file, line});
    return out;
  }

 private:
  DebugInfo() {
    callbacks_.find_elf = dwfl_linux_proc_find_elf;
    callbacks_.find_debuginfo = dwfl_standard_find_debuginfo;
    callbacks_.debuginfo_path = &debuginfo_path_;
    dwfl_ = dwfl_begin(&callbacks_);
    if (dwfl_ != nullptr) report();
  }
  ~DebugInfo() {
    if (dwfl_ != nullptr) dwfl_end(dwfl_);
  }
  bool report() {
    dwfl_report_begin(dwfl_);
    const int failed = dwfl_linux_proc_report(dwfl_, ::getpid());
    dwfl_report_end(dwfl_, nullptr, nullptr);
    return failed == 0;
  }
  // The name a report shows: the source name (an inlined lambda is "operator()"), else the
  // demangled linkage name.
  static std::string function_name(Dwarf_Die* die) {
    Dwarf_Attribute attr;
    if (const char* name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr))) {
      return name;
    }
    for (const int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
      if (const char* linkage = dwarf_formstring(dwarf_attr_integrate(die, at, &attr))) {
        return demangle(linkage);
      }
    }
    return {};
  }

  Dwfl_Callbacks callbacks_{};
  char* debuginfo_path_ = nullptr;
  Dwfl* dwfl_ = nullptr;
};

// The inline chain of a return address, innermost first (cached: traces repeat call sites).
std::vector<Frame> resolve(const void* pc) {
  static std::map<const void*, std::vector<Frame>> cache;
  if (auto it = cache.find(pc); it != cache.end()) return it->second;
  // The return address points after the call: step back into the call instruction.
  std::vector<Frame> frames =
      DebugInfo::instance().frames(reinterpret_cast<std::uintptr_t>(pc) - 1);
  cache.emplace(pc, frames);
  return frames;
}

struct Symbol {
  std::uintptr_t start = 0;
  std::uintptr_t size = 0;
  std::string name;  // demangled
};

std::string demangle_symbol(const char* name) {
  std::string s = demangle(name);
  // Said nothing the offset does not, and its parentheses read as a second pair around a
  // site that a report already puts in parentheses.
  static constexpr std::string_view kAnonymous = "(anonymous namespace)::";
  for (auto at = s.find(kAnonymous); at != std::string::npos; at = s.find(kAnonymous, at)) {
    s.erase(at, kAnonymous.size());
  }
  return s;
}

// The function symbols of an ELF file, sorted by address: its full symbol table (kept unless
// the binary was stripped), else the dynamic one. Read from the file, because dladdr only sees
// the dynamic symbols, which an executable exports only when linked with -rdynamic.
std::vector<Symbol> read_function_symbols(const std::string& path) {
  std::vector<Symbol> out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(ElfW(Ehdr)))) {
    ::close(fd);
    return out;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return out;
  const auto* base = static_cast<const unsigned char*>(map);
  const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(base);
  auto inside = [&](std::uintmax_t off, std::uintmax_t len) {
    return off <= size && len <= size - off;
  };
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_shentsize == sizeof(ElfW(Shdr)) &&
      inside(eh->e_shoff, std::uintmax_t{eh->e_shnum} * sizeof(ElfW(Shdr)))) {
    const auto* sh = reinterpret_cast<const ElfW(Shdr)*>(base + eh->e_shoff);
    for (const unsigned type : {unsigned{SHT_SYMTAB}, unsigned{SHT_DYNSYM}}) {
      for (unsigned i = 0; i < eh->e_shnum && out.empty(); ++i) {
        if (sh[i].sh_type != type || sh[i].sh_link >= eh->e_shnum) continue;
        const ElfW(Shdr)& strtab = sh[sh[i].sh_link];
        if (!inside(sh[i].sh_offset, sh[i].sh_size) || !inside(strtab.sh_offset, strtab.sh_size)) {
          continue;
        }
        const auto* syms = reinterpret_cast<const ElfW(Sym)*>(base + sh[i].sh_offset);
        const std::size_t n = sh[i].sh_size / sizeof(ElfW(Sym));
        const char* names = reinterpret_cast<const char*>(base + strtab.sh_offset);
        for (std::size_t k = 0; k < n; ++k) {
          const ElfW(Sym)& sym = syms[k];
          if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0 ||
              sym.st_name >= strtab.sh_size) {
            continue;
          }
          out.push_back(Symbol{static_cast<std::uintptr_t>(sym.st_value),
                               static_cast<std::uintptr_t>(sym.st_size),
                               demangle_symbol(names + sym.st_name)});
        }
      }
      if (!out.empty()) break;
    }
  }
  ::munmap(map, size);
  std::sort(out.begin(), out.end(), [](const Symbol& a, const Symbol& b) {
    return a.start != b.start ? a.start < b.start : a.name < b.name;
  });
  return out;
}

const Symbol* function_at(const std::string& module, std::uintptr_t addr) {
  static std::map<std::string, std::vector<Symbol>> cache;
  auto it = cache.find(module);
  if (it == cache.end()) it = cache.emplace(module, read_function_symbols(module)).first;
  const std::vector<Symbol>& syms = it->second;
  auto after = std::upper_bound(syms.begin(), syms.end(), addr,
                                [](std::uintptr_t a, const Symbol& s) { return a < s.start; });
  while (after != syms.begin()) {
    --after;
    if (addr < after->start + std::max<std::uintptr_t>(after->size, 1)) return &*after;
    if (after->size != 0) break;  // symbols do not nest: nothing earlier contains it
  }
  return nullptr;
}

// Code of the standard library, Boost or weft, told by the enclosing namespace of its symbol
// (a demangled function template name starts with its return type: "void std::...").
bool is_library_symbol(std::string_view name) {
  if (name.starts_with("__") || name == "_start" || name.ends_with("_fcontext")) return true;
  int depth = 0;
  std::size_t word = 0;
  for (std::size_t i = 0; i + 1 < name.size(); ++i) {
    const char c = name[i];
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (depth != 0) continue;
    if (c == ' ' || c == '&' || c == '*') word = i + 1;
    if (c == ':' && name[i + 1] == ':') {
      const std::string_view ns = name.substr(word, i - word);
      return ns == "weft" || ns == "std" || ns == "boost" || ns == "__gnu_cxx" ||
             ns == "__cxxabiv1";
    }
  }
  return false;
}

bool is_system_module(std::string_view path) {
  return path.starts_with("/lib/") || path.starts_with("/lib64/") ||
         path.starts_with("/usr/lib/") || path.starts_with("/usr/lib64/");
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

namespace {

// `fn` of the innermost frame of `stack` in the user's code; a default value when none is.
template <class Fn>
std::invoke_result_t<Fn, const Frame&> with_user_frame(const std::vector<void*>& stack, Fn fn) {
  for (const void* pc : stack) {
    if (pc == nullptr) continue;
    for (const Frame& f : resolve(pc)) {
      if (is_library_path(f.file) || f.line == 0) continue;
      return fn(f);
    }
  }
  return {};
}

}  // namespace

SourceLine user_source_line(const std::vector<void*>& stack) {
  return with_user_frame(stack, [](const Frame& f) {
    return SourceLine{f.file, static_cast<unsigned>(f.line)};
  });
}

std::string user_frame(const std::vector<void*>& stack) {
  return with_user_frame(stack, [](const Frame& f) {
    std::string s = std::string(base_name(f.file)) + ":" + std::to_string(f.line);
    // Keep the name readable: drop the argument list of the innermost user function.
    std::string fn = f.function;
    if (const auto paren = fn.find('('); paren != std::string::npos && paren > 0) {
      fn.resize(paren);
    }
    if (const auto colons = fn.rfind("::"); colons != std::string::npos) {
      fn = fn.substr(colons + 2);
    }
    if (fn == "operator") fn = "operator()";  // a lambda, named as __builtin_FUNCTION does
    if (!fn.empty() && fn != "??") s += " (" + shown_function(f.file, fn) + ")";
    return s;
  });
}

namespace {

bool has_line(const void* pc) {
  const std::vector<Frame> lines = resolve(pc);
  return std::any_of(lines.begin(), lines.end(), [](const Frame& f) {
    return f.line != 0 && !f.file.empty() && f.file.front() != '?';
  });
}

}  // namespace

SymbolFrame symbol_frame(const std::vector<void*>& stack, bool or_first) {
  const void* chosen = nullptr;
  const Symbol* fn = nullptr;
  ObjectAddress at;
  const void* first = nullptr;
  for (const void* pc : stack) {
    if (pc == nullptr) continue;
    ObjectAddress here;
    if (!object_address(pc, here) || is_system_module(here.module)) continue;
    // The return address follows the call: the call instruction is the byte before it.
    const Symbol* f = function_at(here.module, here.addr - 1);
    if (first == nullptr) first = pc;
    if (f != nullptr && is_library_symbol(f->name)) continue;
    chosen = pc;
    fn = f;
    at = std::move(here);
    break;
  }
  SymbolFrame out;
  if (chosen == nullptr && or_first && first != nullptr && object_address(first, at)) {
    // Code of the caller's inlined into a weft template (a lambda run by a Thread, at -O2): its
    // symbol still names the caller's type ("...Task::Impl<body()::{lambda()#1}>::call()").
    chosen = first;
    fn = function_at(at.module, at.addr - 1);
  }
  if (chosen == nullptr) {
    out.has_line = std::any_of(stack.begin(), stack.end(),
                               [](const void* pc) { return pc != nullptr && has_line(pc); });
    return out;
  }
  char offset[32];
  if (fn != nullptr) {
    std::snprintf(offset, sizeof offset, "+0x%jx",
                  static_cast<std::uintmax_t>(at.addr - fn->start));
    out.text = fn->name + offset;
  } else {
    std::snprintf(offset, sizeof offset, "+0x%jx", static_cast<std::uintmax_t>(at.addr));
    out.text = std::string(base_name(at.module)) + offset;
  }
  out.has_line = has_line(chosen);
  return out;
}

}  // namespace weft::detail
