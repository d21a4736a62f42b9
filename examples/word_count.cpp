// The seed's directory analyzer: every *.txt file of a directory analyzed in worker processes
// (word count, line count, unique words, top 5), each result printed as it completes. The
// directory is generated (word_corpus.hpp) and removed afterwards. A file that cannot be read
// fails its task; the exception comes back through the future (as weft::RemoteError).
//
//   Python:  re.findall(r'\b[a-z]+\b', text.lower())     weft:  words_of(text)
//            Counter(words).most_common(5)                      top_words(words, 5)
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <weft/process_pool.hpp>
#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "seed_output.hpp"
#include "word_corpus.hpp"

namespace {

namespace fs = std::filesystem;

struct FileStats {
  std::string file;
  long lines = 0;
  long words = 0;
  long unique_words = 0;
  std::vector<std::pair<std::string, long>> top_5;
};

// A FileStats crosses from the worker process that computed it, member by member.
void serialize(weft::Writer& w, const FileStats& s) {
  weft::serialize(w, s.file);
  weft::serialize(w, s.lines);
  weft::serialize(w, s.words);
  weft::serialize(w, s.unique_words);
  weft::serialize(w, s.top_5);
}
void deserialize(weft::Reader& r, FileStats& s) {
  weft::deserialize(r, s.file);
  weft::deserialize(r, s.lines);
  weft::deserialize(r, s.words);
  weft::deserialize(r, s.unique_words);
  weft::deserialize(r, s.top_5);
}

// Python's Path.read_text(): a directory or an unreadable file is an error.
std::string read_text(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw std::system_error(errno, std::generic_category(), path.string());
  std::string text;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const int error = std::ferror(f) != 0 ? errno : 0;
  std::fclose(f);
  if (error != 0) throw std::system_error(error, std::generic_category(), path.string());
  return text;
}

// \b[a-z]+\b on the lowered text: runs of word characters ([a-z0-9_], and any non-ASCII byte,
// as Python's Unicode \w would take it) that consist of letters only.
std::vector<std::string> words_of(const std::string& text) {
  auto word_char = [](unsigned char c) { return std::isalnum(c) != 0 || c == '_' || c >= 0x80; };
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!word_char(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::string run;
    bool letters_only = true;
    for (; i < text.size() && word_char(static_cast<unsigned char>(text[i])); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      letters_only = letters_only && std::isalpha(c) != 0;
      run += static_cast<char>(std::tolower(c));
    }
    if (letters_only) words.push_back(std::move(run));
  }
  return words;
}

// Counter(words).most_common(n): by count, ties in order of first appearance.
std::vector<std::pair<std::string, long>> top_words(const std::vector<std::string>& words,
                                                    std::size_t n) {
  std::unordered_map<std::string, std::size_t> index;  // word -> position in `counts`
  std::vector<std::pair<std::string, long>> counts;    // in order of first appearance
  for (const std::string& w : words) {
    const auto [it, fresh] = index.try_emplace(w, counts.size());
    if (fresh) counts.emplace_back(w, 0);
    ++counts[it->second].second;
  }
  std::stable_sort(counts.begin(), counts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (counts.size() > n) counts.resize(n);
  return counts;
}

FileStats analyze_file(const std::string& filepath) {
  const std::string text = read_text(filepath);
  const std::vector<std::string> words = words_of(text);
  FileStats s;
  s.file = fs::path(filepath).filename().string();
  s.lines = static_cast<long>(std::count(text.begin(), text.end(), '\n'));
  s.words = static_cast<long>(words.size());
  s.unique_words = static_cast<long>(top_words(words, words.size()).size());
  s.top_5 = top_words(words, 5);
  return s;
}

// Python's Path(directory).glob(pattern), sorted: the order of submission must not depend on
// the file system's order (it decides the explored schedules and the printed order).
std::vector<std::string> matching_files(const fs::path& directory, const std::string& pattern) {
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(directory)) {
    if (::fnmatch(pattern.c_str(), e.path().filename().c_str(), 0) == 0) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}

// Returns how many files were analyzed.
std::size_t analyze_directory(const fs::path& directory, const std::string& pattern,
                              std::size_t workers) {
  const std::vector<std::string> files = matching_files(directory, pattern);
  if (files.empty()) {
    seed::say("No " + pattern + " files found in " + directory.string());
    return 0;
  }
  seed::say("Analyzing " + std::to_string(files.size()) + " files using " +
            std::to_string(workers) + " processes...\n");
  std::vector<FileStats> results;
  {
    weft::ProcessPoolExecutor executor(workers);
    std::vector<weft::Future<FileStats>> futures;
    for (const std::string& f : files) futures.push_back(executor.submit(analyze_file, f));
    for (weft::Future<FileStats>& future : weft::as_completed(futures)) {
      // Python's future_to_file[future]: as_completed yields references into `futures`.
      const std::string& filepath = files[static_cast<std::size_t>(&future - futures.data())];
      if (const std::exception_ptr error = future.exception()) {
        seed::say("  Error processing " + fs::path(filepath).filename().string() + ": " +
                  describe(error));
        continue;
      }
      FileStats r = future.get();
      std::string top = "    top 5:";
      for (const auto& [word, count] : r.top_5) top += " " + word + " " + seed::commas(count);
      seed::say("  Done: " + r.file + " (" + seed::commas(r.words) + " words, " +
                seed::commas(r.unique_words) + " unique)");
      seed::say(top);
      results.push_back(std::move(r));
    }
  }
  long total_words = 0;
  long total_lines = 0;
  for (const FileStats& r : results) {
    total_words += r.words;
    total_lines += r.lines;
  }
  seed::say("\nTotal: " + seed::commas(total_words) + " words, " + seed::commas(total_lines) +
            " lines across " + std::to_string(results.size()) + " files");
  return results.size();
}

// The same program on a few short files when explored, on longer ones when run.
void analyze_generated_corpus(bool with_unreadable_entry) {
  const int files = weft::exploring() ? 3 : 6;
  const int lines = weft::exploring() ? 8 : 4000;
  // Explored, the files are written and removed once per schedule: in memory (tmpfs) where
  // there is one, since on a disk other programs keep busy that costs a hundred times more.
  const bool in_memory = weft::exploring() && fs::is_directory("/dev/shm");
  const seed::TempDir dir("weft-word-count",
                          in_memory ? fs::path("/dev/shm") : fs::temp_directory_path());
  seed::write_corpus(dir.path(), files, lines);
  // Python's glob matches a directory named like a text file, and read_text() fails on it.
  if (with_unreadable_entry) fs::create_directory(dir.path() / "drafts.txt");
  const std::size_t analyzed = analyze_directory(dir.path(), "*.txt", 4);
  WEFT_ASSERT(analyzed == static_cast<std::size_t>(files));
  WEFT_ASSERT(analyze_directory(dir.path(), "*.csv", 4) == 0);
}

}  // namespace

WEFT_SCENARIO("seed: directory word-count analyzer") { analyze_generated_corpus(false); }
WEFT_SCENARIO("word count: a file that cannot be read is reported") {
  analyze_generated_corpus(true);
}
