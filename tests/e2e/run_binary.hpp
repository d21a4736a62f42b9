// Running a program as a subprocess in a scratch directory, for the end-to-end tests that check
// what a CLI or a doctest binary prints. Shared because those tests live in several files: the
// ones that need weft-examples are left out when it is not built (WEFT_BUILD_EXAMPLES=OFF).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace weft_test {

struct Run {
  int status;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `bin` with `args` (shell syntax) inside `dir`, with `env` ("NAME=value ...") in its
// environment.
inline Run run_binary(const std::string& bin, const std::string& args,
                      const std::filesystem::path& dir, const std::string& env = {}) {
  std::filesystem::create_directories(dir);
  const std::string cmd =
      "cd '" + dir.string() + "' && " + env + " '" + bin + "' " + args + " >out.txt 2>err.txt";
  const int raw = std::system(cmd.c_str());
  return Run{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir / "out.txt"),
             slurp(dir / "err.txt")};
}

// One directory per process: other build directories may run this suite at the same time,
// and a shared directory would mix their files (a schedule removed under a running CLI).
struct ScratchRoot {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("weft-cli-" + std::to_string(::getpid()));
  ~ScratchRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

inline std::filesystem::path scratch(const std::string& name) {
  static const ScratchRoot root;
  const std::filesystem::path p = root.path / name;
  std::filesystem::remove_all(p);
  return p;
}

inline bool has(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

inline std::size_t lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace weft_test
