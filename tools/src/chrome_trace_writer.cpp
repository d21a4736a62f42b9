#include "chrome_trace_writer.hpp"

#include <cstdio>
#include <string_view>

namespace weft::cli {
namespace {

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string chrome_trace_json(const std::string& scenario, const std::vector<TraceStep>& steps) {
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out += "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":\"" +
         json_escape(scenario) + "\"}}";
  std::vector<bool> named;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const TraceStep& s = steps[i];
    if (named.size() <= s.thread) named.resize(s.thread + 1, false);
    if (!named[s.thread]) {
      named[s.thread] = true;
      out += ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(s.thread) +
             ",\"name\":\"thread_name\",\"args\":{\"name\":\"" + json_escape(s.thread_name) +
             "\"}}";
    }
    out += ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":" + std::to_string(s.thread) +
           ",\"ts\":" + std::to_string(i) + ",\"dur\":1,\"name\":\"" +
           json_escape((s.blocked ? "blocked: " : "") + s.operation) +
           "\",\"args\":{\"step\":" + std::to_string(i + 1) + ",\"value\":\"" +
           json_escape(s.value) + "\",\"location\":\"" + json_escape(s.location) + "\"}}";
  }
  out += "\n]}\n";
  return out;
}

std::string empty_chrome_trace_json() { return "{\"traceEvents\":[]}\n"; }

}  // namespace weft::cli
