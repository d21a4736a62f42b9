#include "junit_writer.hpp"

#include <algorithm>
#include <cstddef>

#include <pugixml.hpp>

namespace weft::cli {
namespace {

// XML 1.0 cannot hold most control characters at all, not even as character references (which
// pugixml would write and parsers reject): they become '?'.
std::string xml_safe(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') c = '?';
  }
  return text;
}

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, std::size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

}  // namespace

std::string junit_xml(const std::vector<JunitCase>& cases) {
  pugi::xml_document doc;
  pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "UTF-8";
  pugi::xml_node suite = doc.append_child("testsuites").append_child("testsuite");
  suite.append_attribute("name") = "weft";
  suite.append_attribute("tests") = static_cast<unsigned long long>(cases.size());
  suite.append_attribute("failures") = static_cast<unsigned long long>(
      std::count_if(cases.begin(), cases.end(), [](const JunitCase& c) { return c.failure; }));
  suite.append_attribute("errors") = 0;
  for (const JunitCase& c : cases) {
    pugi::xml_node testcase = suite.append_child("testcase");
    testcase.append_attribute("classname") = "weft.explore";
    testcase.append_attribute("name") = xml_safe(c.name).c_str();
    if (!c.failure) continue;
    pugi::xml_node failure = testcase.append_child("failure");
    failure.append_attribute("type") = xml_safe(c.failure->type).c_str();
    failure.append_attribute("message") = xml_safe(c.failure->message).c_str();
    failure.text() = xml_safe(c.failure->text).c_str();
  }
  StringWriter writer;
  doc.save(writer, "  ", pugi::format_indent, pugi::encoding_utf8);
  return std::move(writer.out);
}

}  // namespace weft::cli
