#include "chrome_trace_writer.hpp"

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace weft::cli {
namespace {

// ordered_json keeps the keys in the order written ("ph" first, as in the format's own
// examples) instead of sorting them.
using Json = nlohmann::ordered_json;

std::string dump(const Json& value) {
  // Names, values and locations come from user code and need not be valid UTF-8: a report
  // must not fail on them, so invalid bytes become U+FFFD.
  return value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

// The trace is {"displayTimeUnit":"ns","traceEvents":[...]} with one event a line. Each event
// is serialized as it is made, not as part of one tree of the whole document: for a trace of
// 100000 steps (the default step limit) the tree took about 100 MB more and three times as
// long. So only this fixed frame is written here; every event is nlohmann's.
class Events {
 public:
  void add(const Json& event) {
    out_ += out_.empty() ? "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n" : ",\n";
    out_ += dump(event);
  }
  std::string finish() && { return std::move(out_) + "\n]}\n"; }

 private:
  std::string out_;
};

Json metadata(const char* what, std::size_t pid, std::optional<std::uint64_t> thread,
              const std::string& name) {
  Json e = Json::object();
  e["ph"] = "M";
  e["pid"] = pid;
  if (thread) e["tid"] = *thread;
  e["name"] = what;
  e["args"]["name"] = name;
  return e;
}

// Fills `e`, the same object for every step: assigning to its members again reuses their
// memory.
void set_slice(Json& e, std::size_t pid, const TraceStep& s, std::uint64_t index) {
  e["ph"] = "X";
  e["pid"] = pid;
  e["tid"] = s.thread;
  e["ts"] = index;
  e["dur"] = 1;
  e["name"] = s.blocked ? "blocked: " + s.operation : s.operation;
  Json& args = e["args"];
  args["step"] = s.step != 0 ? s.step : index + 1;
  args["value"] = s.value;
  args["location"] = s.location;
}

}  // namespace

std::string chrome_trace_json(const std::vector<ChromeTraceScenario>& scenarios) {
  if (scenarios.empty()) return empty_chrome_trace_json();
  Events events;
  Json slice = Json::object();
  for (std::size_t p = 0; p < scenarios.size(); ++p) {
    const std::size_t pid = p + 1;
    const std::vector<TraceStep>& steps = scenarios[p].steps;
    events.add(metadata("process_name", pid, std::nullopt, scenarios[p].name));
    std::vector<bool> named;  // by thread: its thread_name event is written
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const TraceStep& s = steps[i];
      if (named.size() <= s.thread) named.resize(s.thread + 1, false);
      if (!named[s.thread]) {
        named[s.thread] = true;
        events.add(metadata("thread_name", pid, s.thread, s.thread_name));
      }
      set_slice(slice, pid, s, i);
      events.add(slice);
    }
  }
  return std::move(events).finish();
}

std::string chrome_trace_json(const std::string& scenario, const std::vector<TraceStep>& steps) {
  return chrome_trace_json(std::vector<ChromeTraceScenario>{{scenario, steps}});
}

std::string empty_chrome_trace_json() {
  Json document = Json::object();
  document["traceEvents"] = Json::array();
  return dump(document) + "\n";
}

}  // namespace weft::cli
