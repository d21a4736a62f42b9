#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include <weft/errors.hpp>
#include <weft/schedule.hpp>

namespace weft {

namespace {
constexpr std::string_view kHeader = "weft-schedule";
constexpr std::string_view kVersion = "1";
constexpr std::size_t kTokensPerLine = 16;
}  // namespace

Schedule::Schedule(std::vector<Decision> decisions, std::string comment)
    : decisions_(std::move(decisions)), comment_(std::move(comment)) {}

std::string Schedule::to_string() const {
  std::string out = std::string(kHeader) + " " + std::string(kVersion) + "\n";
  if (!comment_.empty()) {
    std::istringstream lines(comment_);
    for (std::string line; std::getline(lines, line);) out += "# " + line + "\n";
  }
  if (max_steps_ != 0) out += "max-steps " + std::to_string(max_steps_) + "\n";
  if (spurious_wakeups_) out += "spurious-wakeups\n";
  std::size_t on_line = 0;
  for (std::size_t i = 0; i < decisions_.size();) {
    std::size_t run = 1;
    while (i + run < decisions_.size() && decisions_[i + run] == decisions_[i]) ++run;
    const Decision& d = decisions_[i];
    std::string token = d.bound == 0
                            ? "t" + std::to_string(d.value)
                            : "c" + std::to_string(d.value) + "/" + std::to_string(d.bound);
    if (run > 1) token += "*" + std::to_string(run);
    out += on_line == 0 ? "" : " ";
    out += token;
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
  std::size_t line = 1;
  std::size_t col = 1;
  std::size_t pos = 0;
  auto error = [&](const std::string& what, std::size_t at_col) -> ScheduleError {
    return ScheduleError("schedule line " + std::to_string(line) + ", column " +
                             std::to_string(at_col) + ": " + what,
                         line, at_col);
  };
  auto skip_blank = [&] {
    while (pos < text.size()) {
      const char c = text[pos];
      if (c == '\n') {
        ++line;
        col = 1;
        ++pos;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++col;
        ++pos;
      } else if (c == '#') {
        while (pos < text.size() && text[pos] != '\n') ++pos;
      } else {
        break;
      }
    }
  };
  auto word = [&] {
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t' && text[pos] != '\n' &&
           text[pos] != '\r' && text[pos] != '#')
      ++pos;
    col += pos - start;
    return text.substr(start, pos - start);
  };
  auto number = [&](std::string_view s, std::size_t& at, std::uint64_t max) -> std::uint64_t {
    std::uint64_t v = 0;
    const char* b = s.data() + at;
    const auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
    if (ec != std::errc() || p == b || v > max) return UINT64_MAX;
    at += static_cast<std::size_t>(p - b);
    return v;
  };

  skip_blank();
  const std::size_t header_col = col;
  const std::string_view magic = word();
  if (magic != kHeader) {
    throw error("not a weft schedule (expected the header '" + std::string(kHeader) + " " +
                    std::string(kVersion) + "')",
                header_col);
  }
  if (pos >= text.size() || (text[pos] != ' ' && text[pos] != '\t')) {
    throw error("missing format version after '" + std::string(kHeader) + "'", col);
  }
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos, ++col;
  const std::size_t version_col = col;
  const std::string_view version = word();
  if (version != kVersion) {
    throw error("unsupported schedule format version '" + std::string(version) +
                    "' (this weft reads version " + std::string(kVersion) + ")",
                version_col);
  }

  std::vector<Decision> decisions;
  std::string comment;
  std::uint64_t max_steps = 0;
  bool spurious = false;
  for (;;) {
    // Comments directly after the header are kept as the schedule's description.
    while (pos < text.size() && text[pos] != '#' &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' || text[pos] == '\n')) {
      if (text[pos] == '\n') ++line, col = 0;
      ++pos, ++col;
    }
    if (pos < text.size() && text[pos] == '#' && decisions.empty()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view c = text.substr(pos + 1, end - pos - 1);
      if (!c.empty() && c.front() == ' ') c.remove_prefix(1);
      if (!comment.empty()) comment += '\n';
      comment += c;
      col += end - pos;
      pos = end;
      continue;
    }
    skip_blank();
    if (pos >= text.size()) break;
    const std::size_t token_col = col;
    const std::string_view tok = word();
    std::size_t at = 1;
    Decision d;
    if (tok == "spurious-wakeups") {
      if (!decisions.empty()) {
        throw error("'spurious-wakeups' must come before the decisions", token_col);
      }
      spurious = true;
      continue;
    }
    if (tok == "max-steps") {
      if (!decisions.empty() || max_steps != 0) {
        throw error("'max-steps' must come once, before the decisions", token_col);
      }
      while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos, ++col;
      const std::size_t n_col = col;
      const std::string_view n = word();
      std::size_t n_at = 0;
      max_steps = number(n, n_at, UINT64_MAX - 1);
      if (max_steps == UINT64_MAX || max_steps == 0 || n_at != n.size()) {
        throw error("bad max-steps value '" + std::string(n) + "'", n_col);
      }
      continue;
    }
    if (tok[0] == 't') {
      const std::uint64_t v = number(tok, at, UINT32_MAX - 1);
      if (v == UINT64_MAX) throw error("bad thread id in '" + std::string(tok) + "'", token_col);
      d.value = static_cast<std::uint32_t>(v);
    } else if (tok[0] == 'c') {
      const std::uint64_t v = number(tok, at, UINT32_MAX);
      if (v == UINT64_MAX || at >= tok.size() || tok[at] != '/') {
        throw error("bad choice '" + std::string(tok) + "' (expected cVALUE/BOUND)", token_col);
      }
      ++at;
      const std::uint64_t b = number(tok, at, UINT32_MAX);
      if (b == UINT64_MAX || b < 2 || v >= b) {
        throw error("bad choice '" + std::string(tok) + "' (need VALUE < BOUND, BOUND >= 2)",
                    token_col);
      }
      d.value = static_cast<std::uint32_t>(v);
      d.bound = static_cast<std::uint32_t>(b);
    } else {
      throw error("unexpected '" + std::string(tok) + "' (expected tN or cV/B)", token_col);
    }
    std::uint64_t repeat = 1;
    if (at < tok.size()) {
      if (tok[at] != '*') {
        throw error(
            "unexpected '" + std::string(tok.substr(at)) + "' in '" + std::string(tok) + "'",
            token_col + at);
      }
      ++at;
      repeat = number(tok, at, 1u << 30);
      if (repeat == UINT64_MAX || repeat == 0 || at != tok.size()) {
        throw error("bad repeat count in '" + std::string(tok) + "'", token_col);
      }
    }
    decisions.insert(decisions.end(), repeat, d);
  }
  Schedule s(std::move(decisions), std::move(comment));
  s.max_steps_ = max_steps;
  s.spurious_wakeups_ = spurious;
  return s;
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

}  // namespace weft
