#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include <weft/errors.hpp>
#include <weft/schedule.hpp>

namespace weft {

namespace {

constexpr std::string_view kHeader = "weft-schedule";
// Version 2: Shared<T> accesses are scheduling points only at the recorded racy sites (or all of
// them with 'shared-points all'); a version 1 schedule made every access one, so its decisions
// mean something else.
constexpr std::string_view kVersion = "2";
constexpr std::size_t kTokensPerLine = 16;
// At most this many decisions (512 MiB of them): "t0*1073741824" is 14 bytes, and a file of a
// few such tokens must be an error, not gigabytes allocated. A run of the model makes about one
// decision per step; 2^26 steps are hours of exploring a single schedule.
constexpr std::uint64_t kMaxDecisions = std::uint64_t{1} << 26;

// "t3", "c1/2", "t0*5": a decision and how many times in a row it was made. Appended piece by
// piece: GCC 12 at -O3 warns (-Wrestrict, a false positive in char_traits) on the
// `"t" + std::to_string(v)` form.
void append_token(std::string& out, const Schedule::Decision& d, std::size_t run) {
  out += d.bound == 0 ? 't' : 'c';
  out += std::to_string(d.value);
  if (d.bound != 0) {
    out += '/';
    out += std::to_string(d.bound);
  }
  if (run > 1) {
    out += '*';
    out += std::to_string(run);
  }
}

struct Token {
  std::string_view text;
  std::size_t col;  // of its first character
};

// The number at s[at...] if it is one and at most `max` (then `at` moves past it), else
// UINT64_MAX.
std::uint64_t number(std::string_view s, std::size_t& at, std::uint64_t max) {
  std::uint64_t v = 0;
  const char* b = s.data() + at;
  const auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
  if (ec != std::errc() || p == b || v > max) return UINT64_MAX;
  at += static_cast<std::size_t>(p - b);
  return v;
}

// Reads the text form piece by piece, keeping the line and column that errors name (both
// 1-based; a column counts bytes).
class ScheduleReader {
 public:
  explicit ScheduleReader(std::string_view text) : text_(text) {}

  ScheduleError error(const std::string& what, std::size_t at_col) const {
    return ScheduleError("schedule line " + std::to_string(line_) + ", column " +
                             std::to_string(at_col) + ": " + what,
                         line_, at_col);
  }

  // "weft-schedule 2", after any blank or comment lines.
  void header() {
    skip_blank();
    const std::size_t header_col = col_;
    const std::string_view magic = word();
    if (magic != kHeader) {
      throw error("not a weft schedule (expected the header '" + std::string(kHeader) + " " +
                      std::string(kVersion) + "')",
                  header_col);
    }
    if (pos_ >= text_.size() || (text_[pos_] != ' ' && text_[pos_] != '\t')) {
      throw error("missing format version after '" + std::string(kHeader) + "'", col_);
    }
    skip_spaces();
    const std::size_t version_col = col_;
    const std::string_view version = word();
    if (version == "1") {
      throw error(
          "schedule format version 1 was written by an earlier weft, in which every Shared<T> "
          "access was a scheduling point, so its decisions do not fit this weft (version " +
              std::string(kVersion) + "): explore again to record the schedule anew",
          version_col);
    }
    if (version != kVersion) {
      throw error("unsupported schedule format version '" + std::string(version) +
                      "' (this weft reads version " + std::string(kVersion) + ")",
                  version_col);
    }
  }

  // Skips blank space; then, if `keep` and a comment comes next, appends its text (without
  // the '#' and one space after it) to `comment` as a line and returns true.
  bool description(std::string& comment, bool keep) {
    while (
        pos_ < text_.size() && text_[pos_] != '#' &&
        (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n')) {
      if (text_[pos_] == '\n') ++line_, col_ = 0;
      ++pos_, ++col_;
    }
    if (pos_ >= text_.size() || text_[pos_] != '#' || !keep) return false;
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view c = text_.substr(pos_ + 1, end - pos_ - 1);
    if (!c.empty() && c.front() == ' ') c.remove_prefix(1);
    if (!comment.empty()) comment += '\n';
    comment += c;
    col_ += end - pos_;
    pos_ = end;
    return true;
  }

  // The next word after blank space and comments; nullopt at the end of the text.
  std::optional<Token> next_token() {
    skip_blank();
    if (pos_ >= text_.size()) return std::nullopt;
    const std::size_t col = col_;
    return Token{word(), col};
  }

  // The rest of the line, without the blank space around it ("scenario NAME").
  std::string rest_of_line() {
    skip_spaces();
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view v = text_.substr(pos_, end - pos_);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
      v.remove_suffix(1);
    }
    col_ += end - pos_;
    pos_ = end;
    return std::string(v);
  }

  // The value after "max-steps": a number from 1 to UINT64_MAX - 1.
  std::uint64_t max_steps_value() {
    skip_spaces();
    const std::size_t n_col = col_;
    const std::string_view n = word();
    std::size_t n_at = 0;
    const std::uint64_t max_steps = number(n, n_at, UINT64_MAX - 1);
    if (max_steps == UINT64_MAX || max_steps == 0 || n_at != n.size()) {
      throw error("bad max-steps value '" + std::string(n) + "'", n_col);
    }
    return max_steps;
  }

  // A body fingerprint: 16 hex digits, not all zero.
  std::uint64_t body_value() {
    skip_spaces();
    const std::size_t at = col_;
    const std::string_view w = word();
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v, 16);
    if (w.size() != 16 || ec != std::errc() || end != w.data() + w.size() || v == 0) {
      throw error("bad body value '" + std::string(w) + "' (16 hex digits)", at);
    }
    return v;
  }

  // A decision token, "tN" or "cV/B" with an optional "*K": its K copies.
  void append_decisions(const Token& tok, std::vector<Schedule::Decision>& out) const {
    std::size_t at = 1;
    const Schedule::Decision d = decision(tok, at);
    const std::uint64_t n = repeat(tok, at);
    if (n > kMaxDecisions - out.size()) {
      throw error("more than " + std::to_string(kMaxDecisions) + " decisions", tok.col);
    }
    out.insert(out.end(), n, d);
  }

 private:
  // "tN" or "cV/B" up to `at`, which it leaves after the decision.
  Schedule::Decision decision(const Token& tok, std::size_t& at) const {
    const std::string_view t = tok.text;
    Schedule::Decision d;
    if (t[0] == 't') {
      const std::uint64_t v = number(t, at, UINT32_MAX - 1);
      if (v == UINT64_MAX) throw error("bad thread id in '" + std::string(t) + "'", tok.col);
      d.value = static_cast<std::uint32_t>(v);
      return d;
    }
    if (t[0] != 'c') {
      throw error("unexpected '" + std::string(t) + "' (expected tN or cV/B)", tok.col);
    }
    const std::uint64_t v = number(t, at, UINT32_MAX);
    if (v == UINT64_MAX || at >= t.size() || t[at] != '/') {
      throw error("bad choice '" + std::string(t) + "' (expected cVALUE/BOUND)", tok.col);
    }
    ++at;
    const std::uint64_t b = number(t, at, UINT32_MAX);
    if (b == UINT64_MAX || b < 2 || v >= b) {
      throw error("bad choice '" + std::string(t) + "' (need VALUE < BOUND, BOUND >= 2)", tok.col);
    }
    d.value = static_cast<std::uint32_t>(v);
    d.bound = static_cast<std::uint32_t>(b);
    return d;
  }

  // The "*K" after the decision at `at` (1 without one).
  std::uint64_t repeat(const Token& tok, std::size_t at) const {
    const std::string_view t = tok.text;
    if (at >= t.size()) return 1;
    if (t[at] != '*') {
      throw error("unexpected '" + std::string(t.substr(at)) + "' in '" + std::string(t) + "'",
                  tok.col + at);
    }
    ++at;
    const std::uint64_t n = number(t, at, 1u << 30);
    if (n == UINT64_MAX || n == 0 || at != t.size()) {
      throw error("bad repeat count in '" + std::string(t) + "'", tok.col);
    }
    return n;
  }

  // Spaces, tabs, line ends and comments.
  void skip_blank() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        col_ = 1;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++col_;
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  // Spaces and tabs within a line.
  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_, ++col_;
  }

  // Up to the next space, line end or comment.
  std::string_view word() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != '\t' &&
           text_[pos_] != '\n' && text_[pos_] != '\r' && text_[pos_] != '#')
      ++pos_;
    col_ += pos_ - start;
    return text_.substr(start, pos_ - start);
  }

  std::string_view text_;
  std::size_t line_ = 1;
  std::size_t col_ = 1;
  std::size_t pos_ = 0;
};

}  // namespace

Schedule::Schedule(std::vector<Decision> decisions, std::string comment)
    : decisions_(std::move(decisions)), comment_(std::move(comment)) {}

std::string Schedule::to_string() const {
  std::string out = std::string(kHeader) + " " + std::string(kVersion) + "\n";
  if (!comment_.empty()) {
    std::istringstream lines(comment_);
    for (std::string line; std::getline(lines, line);) out += "# " + line + "\n";
  }
  if (!scenario_.empty()) out += "scenario " + scenario_ + "\n";
  if (all_shared_points_) out += "shared-points all\n";
  for (const std::string& site : racy_sites_) out += "racy " + site + "\n";
  if (body_ != 0) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(body_));
    out += "body " + std::string(hex) + "\n";
  }
  if (max_steps_ != 0) out += "max-steps " + std::to_string(max_steps_) + "\n";
  if (spurious_wakeups_) out += "spurious-wakeups\n";
  if (memory_model_ == MemoryModel::SC) out += "memory-model sc\n";
  std::size_t on_line = 0;
  for (std::size_t i = 0; i < decisions_.size();) {
    std::size_t run = 1;
    while (i + run < decisions_.size() && decisions_[i + run] == decisions_[i]) ++run;
    if (on_line != 0) out += ' ';
    append_token(out, decisions_[i], run);
    if (++on_line == kTokensPerLine) {
      out += '\n';
      on_line = 0;
    }
    i += run;
  }
  if (on_line != 0) out += '\n';
  return out;
}

Schedule Schedule::parse(std::string_view text) {
  ScheduleReader in(text);
  in.header();
  std::vector<Decision> decisions;
  std::string comment;
  std::uint64_t max_steps = 0;
  bool spurious = false;
  bool sc = false;
  std::string scenario;
  std::uint64_t body = 0;
  bool all_points = false;
  std::vector<std::string> racy;
  for (;;) {
    // Comments directly after the header are kept as the schedule's description.
    if (in.description(comment, decisions.empty())) continue;
    const std::optional<Token> tok = in.next_token();
    if (!tok) break;
    if (tok->text == "spurious-wakeups") {
      if (!decisions.empty()) {
        throw in.error("'spurious-wakeups' must come before the decisions", tok->col);
      }
      spurious = true;
    } else if (tok->text == "memory-model") {
      if (!decisions.empty() || sc) {
        throw in.error("'memory-model' must come once, before the decisions", tok->col);
      }
      const std::size_t at = tok->col + tok->text.size() + 1;
      const std::string model = in.rest_of_line();
      if (model != "sc" && model != "c11") {
        throw in.error("'memory-model' takes 'c11' or 'sc'", at);
      }
      sc = model == "sc";
    } else if (tok->text == "scenario") {
      if (!decisions.empty() || !scenario.empty()) {
        throw in.error("'scenario' must come once, before the decisions", tok->col);
      }
      scenario = in.rest_of_line();
      if (scenario.empty()) throw in.error("'scenario' needs a name", tok->col);
    } else if (tok->text == "shared-points") {
      if (!decisions.empty() || all_points) {
        throw in.error("'shared-points' must come once, before the decisions", tok->col);
      }
      const std::size_t at = tok->col + tok->text.size() + 1;
      if (in.rest_of_line() != "all") throw in.error("'shared-points' takes 'all'", at);
      all_points = true;
    } else if (tok->text == "racy") {
      if (!decisions.empty()) throw in.error("'racy' must come before the decisions", tok->col);
      std::string site = in.rest_of_line();
      if (site.empty()) throw in.error("'racy' needs a site (file:line)", tok->col);
      racy.push_back(std::move(site));
    } else if (tok->text == "body") {
      if (!decisions.empty() || body != 0) {
        throw in.error("'body' must come once, before the decisions", tok->col);
      }
      body = in.body_value();
    } else if (tok->text == "max-steps") {
      if (!decisions.empty() || max_steps != 0) {
        throw in.error("'max-steps' must come once, before the decisions", tok->col);
      }
      max_steps = in.max_steps_value();
    } else {
      in.append_decisions(*tok, decisions);
    }
  }
  Schedule s(std::move(decisions), std::move(comment));
  s.max_steps_ = max_steps;
  s.spurious_wakeups_ = spurious;
  s.memory_model_ = sc ? MemoryModel::SC : MemoryModel::C11;
  s.scenario_ = std::move(scenario);
  s.body_ = body;
  s.all_shared_points_ = all_points;
  s.set_racy_sites(std::move(racy));
  return s;
}

void Schedule::set_scenario(std::string name) {
  for (char& c : name) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  scenario_ = std::move(name);
}

void Schedule::save(const std::filesystem::path& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot write schedule file " + path.string());
  }
  out << to_string();
  out.flush();
  if (!out) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot write schedule file " + path.string());
  }
}

Schedule Schedule::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot read schedule file " + path.string());
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  try {
    return parse(buf.str());
  } catch (const ScheduleError& e) {
    throw ScheduleError(path.string() + ": " + e.what(), e.line(), e.column());
  }
}

void Schedule::set_racy_sites(std::vector<std::string> sites) {
  for (std::string& site : sites) std::replace(site.begin(), site.end(), '\n', ' ');
  std::sort(sites.begin(), sites.end());
  sites.erase(std::unique(sites.begin(), sites.end()), sites.end());
  racy_sites_ = std::move(sites);
}

}  // namespace weft
