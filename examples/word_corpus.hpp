// The text files the word-count example analyzes: generated, deterministic (a fixed-seed
// generator, no clock), in a private temporary directory that is removed afterwards. The tests
// regenerate the same files to compute the expected counts their own way.
#pragma once

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace seed {

// A fresh mode-0700 directory in `base` (default: the system's temporary directory), removed
// with everything in it when this goes out of scope.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix,
                   const std::filesystem::path& base = std::filesystem::temp_directory_path()) {
    std::string templ = (base / prefix).string() + "-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
    }
    path_ = templ;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes chapter_01.txt ... chapter_<files>.txt of `lines` lines each, plus notes.md, which a
// "*.txt" pattern must skip. Words come from a small vocabulary, common ones more often; the
// text also holds what the seed's regex \b[a-z]+\b must treat with care: capitals, punctuation,
// numbers, words glued to digits or underscores, and "don't" (two words, "don" and "t").
inline void write_corpus(const std::filesystem::path& dir, int files, int lines) {
  static constexpr std::string_view kWords[] = {
      "the",     "and",   "of",     "to",     "a",      "in",     "thread", "process",
      "lock",    "queue", "future", "worker", "result", "shared", "memory", "value",
      "counter", "race",  "pool",   "task",   "wait",   "signal", "event",  "barrier",
      "python",  "gil",   "core",   "time",   "sleep",  "join",   "start",  "data"};
  static constexpr std::string_view kOddTokens[] = {"1984",  "x86",    "snake_case",
                                                    "don't", "THREAD", "e-mail"};
  std::uint64_t state = 0x5eed;
  auto next = [&state] {  // splitmix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  constexpr std::uint64_t kVocabulary = std::size(kWords);
  for (int f = 1; f <= files; ++f) {
    const std::string name = (f < 10 ? "chapter_0" : "chapter_") + std::to_string(f) + ".txt";
    std::ofstream out(dir / name);
    for (int l = 0; l < lines; ++l) {
      const std::uint64_t tokens = 3 + next() % 10;
      for (std::uint64_t t = 0; t < tokens; ++t) {
        std::string token;
        if (next() % 16 == 0) {
          token = kOddTokens[next() % std::size(kOddTokens)];
        } else {
          // The smaller of two picks: early words of the vocabulary are the common ones.
          const std::uint64_t a = next() % kVocabulary;
          const std::uint64_t b = next() % kVocabulary;
          token = kWords[a < b ? a : b];
        }
        if (t == 0) token[0] = static_cast<char>(std::toupper(token[0]));
        out << token << (t + 1 == tokens ? "." : next() % 5 == 0 ? ", " : " ");
      }
      out << '\n';
    }
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
  }
  std::ofstream(dir / "notes.md") << "# Notes\nnot a text file for *.txt\n";
}

}  // namespace seed
