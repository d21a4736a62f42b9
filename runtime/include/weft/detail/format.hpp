// weft/detail/format.hpp — values shown in traces (only formatted when a trace is recorded).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>

#include <weft/detail/model.hpp>

namespace weft::detail {

template <class T>
struct is_smart_pointer : std::false_type {};
template <class T, class D>
struct is_smart_pointer<std::unique_ptr<T, D>> : std::true_type {};
template <class T>
struct is_smart_pointer<std::shared_ptr<T>> : std::true_type {};

// Whether format_value can show a T at all (otherwise a trace's value column stays empty).
template <class T>
inline constexpr bool is_printable_v = std::is_same_v<T, bool> || std::is_same_v<T, char> ||
                                       std::is_same_v<T, signed char> ||
                                       std::is_same_v<T, unsigned char> || std::is_pointer_v<T> ||
                                       is_smart_pointer<T>::value ||
                                       requires(std::ostream& os, const T& v) {
  os << v;
};

// Empty for a type with no operator<<: a placeholder would look like a value in the trace.
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
    return {};
  }
}

// Packs a small trivially copyable value into the bits a checker keeps; it is only formatted
// if a bug is reported. Other types (and those format_value cannot show) are kept without a
// value.
template <class T>
ValueBits value_bits(const T& v) noexcept {
  ValueBits out;
  if constexpr (std::is_trivially_copyable_v<T> && sizeof(T) <= sizeof(std::uint64_t) &&
                !std::is_pointer_v<T> && is_printable_v<T>) {
    std::memcpy(&out.bits, &v, sizeof(T));
    out.format = +[](std::uint64_t bits) {
      alignas(T) unsigned char raw[sizeof(T)];
      std::memcpy(raw, &bits, sizeof(T));
      T value;
      std::memcpy(&value, raw, sizeof(T));
      return format_value(value);
    };
  }
  return out;
}

}  // namespace weft::detail
