// weft/serialize.hpp — the byte format in which arguments, results and exceptions cross a
// process boundary (Process, ProcessPoolExecutor, ipc::Queue).
//
// Both ends are the same executable (workers re-exec /proc/self/exe), so the format is the
// machine's native representation: no endianness or versioning concerns. What must never cross
// is an address: a pointer means nothing in another process, so pointers, member pointers and
// views (std::string_view, std::span, std::reference_wrapper) are rejected at compile time.
// A pointer *inside* a trivially copyable struct cannot be detected: such a struct is copied
// bit for bit, and the pointer dangles in the other process.
//
// Built in: trivially copyable types (not pointers), std::string, std::vector, std::array,
// std::pair, std::tuple and std::optional of serializable types, nested to any depth.
// A user type U opts in with two functions found by argument-dependent lookup (as for swap):
//
//   void serialize(weft::Writer&, const U&);
//   void deserialize(weft::Reader&, U&);   // U must be default-constructible
//
// Inside them, call weft::serialize / weft::deserialize (qualified) for the members. A user
// overload wins over the trivially-copyable rule, so a type holding a pointer or an fd can
// still define what crossing means for it (file descriptors travel with Writer::add_fd).
//
// The reader trusts nothing: short input and lengths that exceed what is left throw
// SerializationError before anything is allocated for them, and so does a bool that is
// neither 0 nor 1 (a bool inside a trivially copyable struct is copied with it, unchecked).
#pragma once

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <weft/errors.hpp>

namespace weft {

// A growable byte buffer plus file descriptors to send along with it. Move-only: it owns
// duplicates of the descriptors added to it.
class Writer {
 public:
  Writer() = default;
  Writer(Writer&& other) noexcept
      : buf_(std::move(other.buf_)), fds_(std::exchange(other.fds_, {})) {}
  Writer& operator=(Writer&& other) noexcept {
    if (this != &other) {
      close_fds();
      buf_ = std::move(other.buf_);
      fds_ = std::exchange(other.fds_, {});
    }
    return *this;
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() { close_fds(); }

  void write(const void* data, std::size_t n) {
    const std::size_t at = buf_.size();
    buf_.resize(at + n);
    if (n != 0) std::memcpy(buf_.data() + at, data, n);
  }
  // `fd` is sent with the message (SCM_RIGHTS) and arrives as a new descriptor for the same
  // open file. The caller keeps owning `fd` and may close it at once: the Writer keeps a
  // duplicate (close-on-exec) until it is cleared or destroyed.
  void add_fd(int fd) {
    const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) {
      throw SerializationError("weft::Writer::add_fd: cannot duplicate descriptor " +
                               std::to_string(fd) + ": " + std::strerror(errno));
    }
    fds_.push_back(dup);
  }
  // Hands the duplicates over to the caller, who must close them.
  std::vector<int> release_fds() noexcept { return std::exchange(fds_, {}); }

  std::span<const std::byte> bytes() const noexcept { return {buf_.data(), buf_.size()}; }
  const std::vector<int>& fds() const noexcept { return fds_; }
  std::size_t size() const noexcept { return buf_.size(); }
  // Keeps the capacity: a Writer reused per message allocates only while it grows.
  void clear() noexcept {
    buf_.clear();
    close_fds();
  }
  // Drops what was written after the first `n` bytes (an encoding abandoned half-way).
  void truncate(std::size_t n) noexcept {
    if (n < buf_.size()) buf_.resize(n);
  }
  // Overwrites bytes already written (a length prefix reserved before the payload).
  void patch(std::size_t offset, const void* data, std::size_t n) {
    if (offset + n > buf_.size()) throw SerializationError("weft::Writer::patch: out of range");
    std::memcpy(buf_.data() + offset, data, n);
  }

 private:
  void close_fds() noexcept {
    for (const int fd : fds_) ::close(fd);
    fds_.clear();
  }

  std::vector<std::byte> buf_;
  std::vector<int> fds_;
};

// Reads what a Writer wrote. The Reader owns the fds it was given until they are taken: those
// never taken (a message that failed to decode) are closed by its destructor.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes, std::vector<int> fds = {})
      : bytes_(bytes), fds_(std::move(fds)) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() {
    for (std::size_t i = next_fd_; i < fds_.size(); ++i) ::close(fds_[i]);
  }

  void read(void* data, std::size_t n) {
    if (n > remaining()) {
      throw SerializationError("weft::Reader: input truncated (need " + std::to_string(n) +
                               " bytes, " + std::to_string(remaining()) + " left)");
    }
    if (n != 0) std::memcpy(data, bytes_.data() + pos_, n);
    pos_ += n;
  }
  // The next fd attached by Writer::add_fd, in order; the caller owns it.
  int take_fd() {
    if (next_fd_ == fds_.size()) {
      throw SerializationError("weft::Reader: the message carries no more file descriptors");
    }
    return fds_[next_fd_++];
  }
  bool at_end() const noexcept { return pos_ == bytes_.size(); }
  std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  std::size_t fds_remaining() const noexcept { return fds_.size() - next_fd_; }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
  std::vector<int> fds_;
  std::size_t next_fd_ = 0;
};

template <class T>
void serialize(Writer& w, const T& value);
template <class T>
void deserialize(Reader& r, T& value);

namespace detail::adl {
// Stops unqualified lookup here, so that only overloads found by ADL are candidates (weft's own
// generic templates would otherwise match every type).
template <class T>
void serialize(Writer&, const T&) = delete;
template <class T>
void deserialize(Reader&, T&) = delete;

template <class T>
concept HasUserOverloads = requires(Writer& w, Reader& r, const T& c, T& m) {
  serialize(w, c);
  deserialize(r, m);
};

template <class T>
void call_serialize(Writer& w, const T& v) {
  serialize(w, v);
}
template <class T>
void call_deserialize(Reader& r, T& v) {
  deserialize(r, v);
}
}  // namespace detail::adl

namespace detail {

template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};
template <class T>
struct IsTuple : std::false_type {};
template <class... A>
struct IsTuple<std::tuple<A...>> : std::true_type {};
template <class T>
struct IsArray : std::false_type {};
template <class T, std::size_t N>
struct IsArray<std::array<T, N>> : std::true_type {};

// Views are trivially copyable but are addresses too: the viewed memory stays behind.
template <class T>
struct IsView : std::false_type {};
template <class C, class Tr>
struct IsView<std::basic_string_view<C, Tr>> : std::true_type {};
template <class T, std::size_t N>
struct IsView<std::span<T, N>> : std::true_type {};
template <class T>
struct IsView<std::reference_wrapper<T>> : std::true_type {};

template <class T>
inline constexpr bool is_address_v = std::is_pointer_v<std::remove_all_extents_t<T>> ||
                                     std::is_member_pointer_v<std::remove_all_extents_t<T>> ||
                                     std::is_null_pointer_v<std::remove_all_extents_t<T>> ||
                                     IsView<std::remove_cv_t<std::remove_all_extents_t<T>>>::value;

template <class T>
struct SerializableTrait;

template <class T>
inline constexpr bool serializable_v = SerializableTrait<std::remove_cv_t<T>>::value;

template <class T>
struct SerializableTrait {
  static constexpr bool value =
      adl::HasUserOverloads<T> || (std::is_trivially_copyable_v<T> && !is_address_v<T>);
};
template <>
struct SerializableTrait<std::string> : std::true_type {};
template <class T, class A>
struct SerializableTrait<std::vector<T, A>> {
  static constexpr bool value = adl::HasUserOverloads<std::vector<T, A>> || serializable_v<T>;
};
template <class T, std::size_t N>
struct SerializableTrait<std::array<T, N>> {
  static constexpr bool value = adl::HasUserOverloads<std::array<T, N>> || serializable_v<T>;
};
template <class T>
struct SerializableTrait<std::optional<T>> {
  static constexpr bool value = adl::HasUserOverloads<std::optional<T>> || serializable_v<T>;
};
template <class A, class B>
struct SerializableTrait<std::pair<A, B>> {
  static constexpr bool value =
      adl::HasUserOverloads<std::pair<A, B>> || (serializable_v<A> && serializable_v<B>);
};
template <class... A>
struct SerializableTrait<std::tuple<A...>> {
  static constexpr bool value =
      adl::HasUserOverloads<std::tuple<A...>> || (serializable_v<A> && ...);
};

// The fewest bytes one value of T can take: bounds how many elements a length prefix may claim
// before anything is allocated. 0 when unknown (user types): those are then decoded one by one
// without reserving, so a lying length runs out of input instead of memory.
template <class T>
constexpr std::size_t min_encoded_size() {
  using U = std::remove_cv_t<T>;
  if constexpr (adl::HasUserOverloads<U>) {
    return 0;
  } else if constexpr (std::is_same_v<U, std::string> || IsVector<U>::value) {
    return sizeof(std::uint64_t);
  } else if constexpr (IsOptional<U>::value) {
    return 1;
  } else if constexpr (IsPair<U>::value) {
    return min_encoded_size<typename U::first_type>() + min_encoded_size<typename U::second_type>();
  } else if constexpr (IsTuple<U>::value) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (std::size_t{0} + ... + min_encoded_size<std::tuple_element_t<I, U>>());
    }
    (std::make_index_sequence<std::tuple_size_v<U>>{});
  } else if constexpr (IsArray<U>::value) {
    return std::tuple_size_v<U> * min_encoded_size<typename U::value_type>();
  } else {
    return sizeof(U);
  }
}

// Whether a vector of T crosses as one block of its bytes: T is trivially copyable and its own
// encoding is those bytes. Not a bool, nor an optional (or array) that holds one: copied bit for
// bit, a corrupt byte there is a bool neither true nor false, which the element-wise decoding
// rejects.
template <class T>
constexpr bool bit_copyable() {
  using U = std::remove_cv_t<T>;
  if constexpr (adl::HasUserOverloads<U> || is_address_v<U> || std::is_same_v<U, bool> ||
                IsOptional<U>::value) {
    return false;
  } else if constexpr (IsArray<U>::value) {
    return bit_copyable<typename U::value_type>();
  } else if constexpr (IsPair<U>::value || IsTuple<U>::value) {
    // Those that are trivially copyable (std::tuple<>, in libstdc++), element by element.
    return std::is_trivially_copyable_v<U>&&[]<std::size_t... I>(std::index_sequence<I...>) {
      return (bit_copyable<std::tuple_element_t<I, U>>() && ...);
    }
    (std::make_index_sequence<std::tuple_size_v<U>>{});
  } else {
    return std::is_trivially_copyable_v<U>;
  }
}

inline std::uint64_t read_length(Reader& r, std::size_t min_element_size, const char* what) {
  std::uint64_t n = 0;
  r.read(&n, sizeof n);
  // Elements of unknown size (user types) may take no bytes at all: an ipc handle is one file
  // descriptor. They are bounded by the bytes plus the descriptors left, as one each.
  const std::size_t left =
      min_element_size == 0 ? r.remaining() + r.fds_remaining() : r.remaining() / min_element_size;
  if (n > left) {
    throw SerializationError(std::string("weft::deserialize: ") + what + " length " +
                             std::to_string(n) + " exceeds the " + std::to_string(r.remaining()) +
                             " bytes and " + std::to_string(r.fds_remaining()) +
                             " descriptors left in the input");
  }
  return n;
}

}  // namespace detail

// Types that can cross a process boundary (see the top of this file).
template <class T>
concept Serializable = detail::serializable_v<T>;

template <class T>
void serialize(Writer& w, const T& value) {
  using U = std::remove_cv_t<T>;
  static_assert(!detail::is_address_v<U> || detail::adl::HasUserOverloads<U>,
                "weft::serialize: a pointer cannot cross a process boundary (an address means "
                "nothing in another process): pass the value, or give the type serialize / "
                "deserialize overloads");
  if constexpr (detail::adl::HasUserOverloads<U>) {
    detail::adl::call_serialize(w, value);
  } else if constexpr (std::is_same_v<U, std::string>) {
    const std::uint64_t n = value.size();
    w.write(&n, sizeof n);
    w.write(value.data(), value.size());
  } else if constexpr (detail::IsVector<U>::value) {
    using E = typename U::value_type;
    static_assert(!std::is_same_v<E, bool>,
                  "weft::serialize: std::vector<bool> is not supported (it is a bit set): use "
                  "std::vector<char> or std::vector<std::uint8_t>");
    const std::uint64_t n = value.size();
    w.write(&n, sizeof n);
    if constexpr (detail::bit_copyable<E>()) {
      w.write(value.data(), value.size() * sizeof(E));
    } else {
      for (const E& e : value) weft::serialize(w, e);
    }
  } else if constexpr (detail::IsOptional<U>::value) {
    const std::uint8_t has = value.has_value() ? 1 : 0;
    w.write(&has, 1);
    if (value) weft::serialize(w, *value);
  } else if constexpr (detail::IsPair<U>::value) {
    weft::serialize(w, value.first);
    weft::serialize(w, value.second);
  } else if constexpr (detail::IsTuple<U>::value) {
    std::apply([&](const auto&... e) { (weft::serialize(w, e), ...); }, value);
  } else if constexpr (detail::IsArray<U>::value) {
    for (const auto& e : value) weft::serialize(w, e);
  } else {
    static_assert(std::is_trivially_copyable_v<U>,
                  "weft::serialize: this type cannot cross a process boundary: it is not "
                  "trivially copyable and has no serialize(weft::Writer&, const T&) / "
                  "deserialize(weft::Reader&, T&) overloads found by argument-dependent lookup");
    if constexpr (std::is_trivially_copyable_v<U>) w.write(&value, sizeof(U));
  }
}

template <class T>
void deserialize(Reader& r, T& value) {
  using U = std::remove_cv_t<T>;
  static_assert(!detail::is_address_v<U> || detail::adl::HasUserOverloads<U>,
                "weft::deserialize: a pointer cannot cross a process boundary (an address "
                "means nothing in another process)");
  if constexpr (detail::adl::HasUserOverloads<U>) {
    detail::adl::call_deserialize(r, value);
  } else if constexpr (std::is_same_v<U, bool>) {
    // Copied bit for bit, a byte other than 0 or 1 would be a bool that is neither true nor
    // false (undefined behaviour wherever it is read).
    std::uint8_t byte = 0;
    r.read(&byte, 1);
    if (byte > 1) {
      throw SerializationError("weft::deserialize: corrupt bool (byte " + std::to_string(byte) +
                               ")");
    }
    value = byte == 1;
  } else if constexpr (std::is_same_v<U, std::string>) {
    const std::uint64_t n = detail::read_length(r, 1, "string");
    value.resize(n);
    r.read(value.data(), n);
  } else if constexpr (detail::IsVector<U>::value) {
    using E = typename U::value_type;
    const std::uint64_t n = detail::read_length(r, detail::min_encoded_size<E>(), "vector");
    value.clear();
    if constexpr (detail::bit_copyable<E>()) {
      value.resize(n);
      r.read(value.data(), n * sizeof(E));
    } else {
      if (detail::min_encoded_size<E>() != 0) value.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) {
        E e{};
        weft::deserialize(r, e);
        value.push_back(std::move(e));
      }
    }
  } else if constexpr (detail::IsOptional<U>::value) {
    std::uint8_t has = 0;
    r.read(&has, 1);
    if (has > 1) throw SerializationError("weft::deserialize: corrupt optional flag");
    if (has == 0) {
      value.reset();
    } else {
      weft::deserialize(r, value.emplace());
    }
  } else if constexpr (detail::IsPair<U>::value) {
    weft::deserialize(r, value.first);
    weft::deserialize(r, value.second);
  } else if constexpr (detail::IsTuple<U>::value) {
    std::apply([&](auto&... e) { (weft::deserialize(r, e), ...); }, value);
  } else if constexpr (detail::IsArray<U>::value) {
    for (auto& e : value) weft::deserialize(r, e);
  } else {
    static_assert(std::is_trivially_copyable_v<U>,
                  "weft::deserialize: this type cannot cross a process boundary: it is not "
                  "trivially copyable and has no serialize / deserialize overloads found by "
                  "argument-dependent lookup");
    if constexpr (std::is_trivially_copyable_v<U>) r.read(&value, sizeof(U));
  }
}

}  // namespace weft
