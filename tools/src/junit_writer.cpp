#include "junit_writer.hpp"

#include <string_view>

namespace weft::cli {
namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

std::string junit_xml(const std::vector<JunitCase>& cases) {
  std::string body;
  std::size_t failures = 0;
  for (const JunitCase& c : cases) {
    body += "    <testcase classname=\"weft.explore\" name=\"" + xml_escape(c.name) + "\"";
    if (!c.failure) {
      body += "/>\n";
      continue;
    }
    ++failures;
    body += ">\n      <failure type=\"" + c.failure->type + "\" message=\"" +
            xml_escape(c.failure->message) + "\">" + xml_escape(c.failure->text) +
            "</failure>\n    </testcase>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"weft\" "
         "tests=\"" +
         std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"0\">\n" + body + "  </testsuite>\n</testsuites>\n";
}

}  // namespace weft::cli
