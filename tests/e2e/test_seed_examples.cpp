// The seed's programs in weft-examples, end to end: each explored (the clean one reports no bug,
// its buggy twin the expected bug) and run for real (the result is checked against an
// expectation computed here, another way).
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "../../examples/word_corpus.hpp"

TEST_SUITE_BEGIN("e2e/seed_examples");

namespace {

struct Output {
  int status;
  std::string out;
};

// weft-examples with `args` (shell syntax), run in a scratch directory (schedule files land
// there); stdout only.
Output examples(const std::string& args) {
  const seed::TempDir dir("weft-seed-examples");
  const std::string cmd = "cd '" + dir.path().string() + "' && '" WEFT_EXAMPLES_BIN "' " + args;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int raw = ::pclose(p);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}

bool has(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

// Every match of `re` in `s`, as its capture groups.
std::vector<std::smatch> matches(const std::string& s, const std::string& re) {
  const std::regex r(re);
  return {std::sregex_iterator(s.begin(), s.end(), r), std::sregex_iterator()};
}

long number(std::string s) {
  std::erase(s, ',');
  return std::stol(s);
}

// Explores the scenarios matching `clean`: `scenarios` of them, none with a bug.
void explores_clean(const std::string& clean, int scenarios = 1) {
  const Output r = examples("explore '" + clean + "' --iterations 200");
  CHECK(r.status == 0);
  CHECK(has(r.out, "weft: " + std::to_string(scenarios) +
                       (scenarios == 1 ? " scenario" : " scenarios") + ", 0 with bugs"));
}

// Runs the scenarios matching `glob` for real; they succeed. Returns what they printed.
std::string runs_ok(const std::string& glob) {
  const Output r = examples("run '" + glob + "'");
  CHECK(r.status == 0);
  return r.out;
}

// Explores the buggy twin matching `twin`: a bug is found; the report holds each of `says`.
void explores_bug(const std::string& twin, std::initializer_list<std::string> says) {
  const Output r = examples("explore '" + twin + "'");
  CHECK(r.status == 1);
  for (const std::string& s : says) CHECK_MESSAGE(has(r.out, s), s);
}

}  // namespace

TEST_CASE("cli_seed_io_bound_overlaps_its_waits_and_the_unlocked_total_is_a_lost_update") {
  explores_clean("seed: I/O-bound*");
  explores_bug("I/O-bound: workers add*", {"LostUpdate: lost update of total_bytes"});

  const std::string run = runs_ok("seed: I/O-bound*");
  CHECK(has(run, "Sequential:\n  https://www.python.org: 50,182 bytes in "));
  CHECK(matches(run, R"(  https://\S+: [0-9,]+ bytes in [0-9.]+s\n)").size() == 8);
  const auto speedup = matches(run, R"(Speedup: ([0-9.]+)x)");
  REQUIRE(speedup.size() == 1);
  // Four waits of 90-150 ms at once instead of one after another: about 3.3x.
  CHECK(std::stod(speedup[0][1]) >= 2.0);
}

TEST_CASE("cli_seed_factorial_digit_counts_are_exact") {
  explores_clean("seed: factorial*");

  const std::string run = runs_ok("seed: factorial*");
  const auto lines = matches(run, R"(  ([0-9]+)! has ([0-9,]+) digits\n)");
  REQUIRE(lines.size() == 4);
  std::map<long, long> seen;
  for (const std::smatch& m : lines) seen[std::stol(m[1])] = number(m[2]);
  for (const long n : {50'000L, 60'000L, 70'000L, 80'000L}) {
    CAPTURE(n);
    // digits(n!) = floor(log10 n!) + 1, with log10 n! = lgamma(n + 1) / ln 10.
    const auto expected = static_cast<long>(std::floor(std::lgamma(n + 1.0) / std::log(10.0))) + 1;
    CHECK(seen[n] == expected);
  }
}

TEST_CASE("cli_seed_exceptions_arrive_through_futures_and_an_unhandled_one_is_reported") {
  explores_clean("seed: exceptions through futures");
  explores_bug(
      "futures: a task*",
      {"UncaughtException: uncaught exception in thread main: "
       "(anonymous namespace)::ConnectionError: Cannot connect to https://badurl.invalid"});

  const std::string run = runs_ok("seed: exceptions through futures");
  CHECK(has(run,
            "  OK: Success: https://python.org\n"
            "  FAILED: Cannot connect to https://badurl.invalid\n"
            "  OK: Success: https://pypi.org\n"));
  const Output dies = examples("run 'futures: a task*' 2>/dev/null");
  CHECK(dies.status == 1);
  CHECK(has(dies.out, "FAIL  futures: a task's exception nobody handles"));
}

namespace {

struct Expected {
  long words = 0;
  long unique = 0;
  long lines = 0;
  std::string top_5;  // as printed: " word count" five times
};

// The seed's analysis the obvious way: std::regex for \b[a-z]+\b, a map for the Counter.
std::map<std::string, Expected> expected_word_counts(int files, int lines) {
  const seed::TempDir dir("weft-seed-corpus");
  seed::write_corpus(dir.path(), files, lines);
  std::map<std::string, Expected> all;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Expected& e = all[entry.path().filename().string()];
    e.lines = static_cast<long>(std::count(text.begin(), text.end(), '\n'));
    std::unordered_map<std::string, long> counts;
    std::vector<std::string> first_seen;
    for (const std::smatch& m : matches(text, R"(\b[a-z]+\b)")) {
      ++e.words;
      if (counts[m[0]]++ == 0) first_seen.push_back(m[0]);
    }
    e.unique = static_cast<long>(counts.size());
    for (int k = 0; k < 5; ++k) {  // most_common: highest count, the earliest seen on a tie
      std::string best;
      for (const std::string& w : first_seen) {
        if (counts[w] > 0 && (best.empty() || counts[w] > counts[best])) best = w;
      }
      e.top_5 += " " + best + " " + std::to_string(counts[best]);
      counts[best] = -counts[best];  // taken
    }
  }
  return all;
}

}  // namespace

TEST_CASE("cli_seed_word_count_matches_an_independent_count") {
  explores_clean("*word*", 2);

  const std::string run = runs_ok("seed: directory word-count analyzer");
  CHECK(has(run, "Analyzing 6 files using 4 processes...\n"));
  const std::map<std::string, Expected> expected = expected_word_counts(6, 4000);
  REQUIRE(expected.size() == 6);
  const auto done =
      matches(run, R"(  Done: (\S+) \(([0-9,]+) words, ([0-9,]+) unique\)\n    top 5:(.*)\n)");
  REQUIRE(done.size() == 6);
  long total_words = 0;
  long total_lines = 0;
  for (const std::smatch& m : done) {
    const std::string file = m[1];
    CAPTURE(file);
    REQUIRE(expected.count(file) == 1);
    const Expected& e = expected.at(file);
    CHECK(number(m[2]) == e.words);
    CHECK(number(m[3]) == e.unique);
    std::string top = m[4];
    std::erase(top, ',');
    CHECK(top == e.top_5);
    total_words += e.words;
    total_lines += e.lines;
  }
  const auto total = matches(run, R"(Total: ([0-9,]+) words, ([0-9,]+) lines across 6 files)");
  REQUIRE(total.size() == 1);
  CHECK(number(total[0][1]) == total_words);
  CHECK(number(total[0][2]) == total_lines);
  CHECK(has(run, "No *.csv files found in "));

  // A directory named like a text file: read_text fails on it, the other files still count.
  const std::string broken = runs_ok("word count: a file that cannot be read*");
  CHECK(has(broken, "  Error processing drafts.txt: "));
  CHECK(has(broken, "drafts.txt: Is a directory\n"));
  CHECK(has(broken, "across 6 files"));
}

TEST_CASE("cli_seed_prime_counts_on_a_process_pool_equal_pi") {
  explores_clean("seed: prime*");

  const std::string run = runs_ok("seed: prime*");
  // pi(2,000,000) = 148,933, four times, both ways (the speedup depends on the machine's load).
  CHECK(has(run, "s — [148933, 148933, 148933, 148933]\nParallel: "));
  CHECK(has(run, "s — [148933, 148933, 148933, 148933]\nSpeedup: "));
}

TEST_CASE("cli_seed_sum_of_squares_on_processes_and_the_missing_poison_pill") {
  explores_clean("seed: sum of squares*");
  explores_bug("processes: one poison pill short*",
               {"Deadlock: deadlock: every unfinished thread is blocked",
                "waits for Queue ipc::Queue@process_queues.cpp"});

  const std::string run = runs_ok("seed: sum of squares*");
  std::multiset<long> tasks;
  for (const std::smatch& m :
       matches(run, R"(  Worker [0-3]: computed sum of squares up to ([0-9,]+)\n)")) {
    tasks.insert(number(m[1]));
  }
  CHECK(tasks == std::multiset<long>{100'000, 200'000, 150'000, 300'000, 250'000, 180'000});
}

TEST_CASE("cli_seed_shared_value_counts_exactly_with_its_lock_and_loses_updates_without") {
  explores_clean("seed: shared Value*");
  explores_bug("shared Value: +=*", {"LostUpdate: lost update of counter"});

  const std::string run = runs_ok("seed: shared Value*");
  CHECK(has(run, "Counter: 400000\n"));
}

TEST_SUITE_END();
