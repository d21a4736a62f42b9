// weft/detail/format.hpp — values shown in traces (only formatted when a trace is recorded).
#pragma once

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>

namespace weft::detail {

template <class T>
struct is_smart_pointer : std::false_type {};
template <class T, class D>
struct is_smart_pointer<std::unique_ptr<T, D>> : std::true_type {};
template <class T>
struct is_smart_pointer<std::shared_ptr<T>> : std::true_type {};

template <class T>
std::string format_value(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_same_v<T, char> || std::is_same_v<T, signed char> ||
                       std::is_same_v<T, unsigned char>) {
    return std::to_string(static_cast<int>(v));
  } else if constexpr (std::is_pointer_v<T> || is_smart_pointer<T>::value) {
    return v == nullptr ? "null" : "(pointer)";  // addresses would break byte-identical reports
  } else if constexpr (requires(std::ostream & os) { os << v; }) {
    std::ostringstream os;
    os << v;
    return os.str();
  } else {
    return "(value)";
  }
}

}  // namespace weft::detail
