// weft::to_json: nlohmann/json writes every value, so escaping and numbers are a JSON library's,
// not ours; the document's frame is assembled here piece by piece (see Writer).
#include <weft/detail/report_json.hpp>
#include <weft/detail/watchdog.hpp>
#include <weft/errors.hpp>
#include <weft/report_json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weft {
namespace {

using Json = nlohmann::ordered_json;

// Names, values, locations and messages come from user code and need not be valid UTF-8: a
// report must not fail on them, so invalid bytes become U+FFFD.
void dump_into(std::string& out, const Json& value) {
  out += value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

// One JSON object written field by field. A bug's steps can number up to Options::max_steps
// (100000 by default): serializing each step as it comes, instead of building one tree of the
// whole document first, keeps the memory to one step's (as the CLI's Chrome trace writer does).
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) { out_ += '{'; }
  template <class T>
  void field(std::string_view key, const T& value) {
    name(key);
    dump_into(out_, Json(value));
  }
  void null(std::string_view key) {
    name(key);
    out_ += "null";
  }
  // `key` followed by whatever the caller appends next.
  std::string& raw(std::string_view key) {
    name(key);
    return out_;
  }
  void close() { out_ += '}'; }

 private:
  void name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    dump_into(out_, Json(key));
    out_ += ':';
  }
  std::string& out_;
  bool first_ = true;
};

// Steps without a number (those a child process sent back) are numbered by position, as the
// trace numbers them.
void write_steps(std::string& out, const std::vector<TraceStep>& steps) {
  out += '[';
  Json step = Json::object();
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const TraceStep& s = steps[i];
    step["step"] = s.step != 0 ? s.step : i + 1;
    step["thread"] = s.thread;
    step["thread_name"] = s.thread_name;
    step["operation"] = s.operation;
    step["value"] = s.value;
    step["location"] = s.location;
    step["blocked"] = s.blocked;
    if (i > 0) out += ',';
    dump_into(out, step);
  }
  out += ']';
}

void write_bug(std::string& out, const Bug& bug,
               const std::optional<std::vector<TraceStep>>& steps) {
  Writer w(out);
  w.field("kind", to_string(bug.kind));
  w.field("message", bug.message);
  w.field("iteration", bug.iteration);
  w.field("preemptions", bug.preemptions);
  if (bug.shrunk.empty()) {
    w.null("shrunk");
  } else {
    w.field("shrunk", bug.shrunk);
  }
  w.field("schedule", bug.schedule.to_string());
  w.field("decisions", bug.schedule.size());
  if (steps) {
    write_steps(w.raw("steps"), *steps);
  } else {
    w.null("steps");
  }
  w.field("trace", bug.trace);
  w.close();
}

void write_report_fields(Writer& w, const Report& report, const detail::BugSteps& steps) {
  w.field("strategy", report.strategy);
  w.field("seed", report.seed);
  w.field("iterations", report.iterations);
  w.field("exhausted", report.exhausted);
  w.field("ok", report.ok());
  std::string& out = w.raw("bugs");
  out += '[';
  for (std::size_t b = 0; b < report.bugs.size(); ++b) {
    if (b > 0) out += ',';
    write_bug(out, report.bugs[b], b < steps.size() ? steps[b] : std::nullopt);
  }
  out += ']';
  if (report.last.empty()) {
    w.null("last");
  } else {
    w.field("last", report.last.to_string());
  }
}

}  // namespace

detail::BugSteps detail::recorded_steps(const Report& report) {
  BugSteps steps(report.bugs.size());
  for (std::size_t b = 0; b < report.bugs.size(); ++b) {
    if (!report.bugs[b].steps.empty()) steps[b] = report.bugs[b].steps;
  }
  return steps;
}

detail::BugSteps detail::bug_steps(const Report& report, const std::function<void()>& body,
                                   double hang_timeout_s) {
  BugSteps steps = recorded_steps(report);
  for (std::size_t b = 0; b < report.bugs.size(); ++b) {
    const Bug& bug = report.bugs[b];
    if (steps[b]) continue;  // recorded when the bug was found
    // Several bugs of one schedule (a race and the assertion it breaks) share one replay.
    if (b > 0 && bug.schedule == report.bugs[b - 1].schedule) {
      steps[b] = steps[b - 1];
      continue;
    }
    // A Crash or Hang schedule would end this process too: its steps come from a child.
    const bool lost = bug.kind == BugKind::Crash || bug.kind == BugKind::Hang;
    try {
      steps[b] = lost ? trace_steps_in_child(body, bug.schedule, hang_timeout_s)
                      : trace_steps(body, bug.schedule);
    } catch (const ScheduleError&) {
      // Recorded for another body: there are no steps of this body to show, and the report
      // itself is still worth writing.
    }
  }
  return steps;
}

std::string detail::report_json_object(const Report& report, const BugSteps& steps) {
  std::string out;
  Writer w(out);
  write_report_fields(w, report, steps);
  w.close();
  return out;
}

namespace {

std::string document(const Report& report, const detail::BugSteps& steps) {
  std::string out;
  Writer w(out);
  w.field("format", "weft-report");
  w.field("version", report_json_version);
  write_report_fields(w, report, steps);
  w.close();
  return out;
}

}  // namespace

std::string to_json(const Report& report) {
  return document(report, detail::recorded_steps(report));
}

std::string to_json(const Report& report, const std::function<void()>& body) {
  if (!body) throw UsageError("weft::to_json needs the body the report came from");
  return document(report, detail::bug_steps(report, body, Options{}.hang_timeout_s));
}

}  // namespace weft
