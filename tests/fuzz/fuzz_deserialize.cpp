// Harness: weft::deserialize, which decodes what crosses a process boundary (Process and
// ProcessPoolExecutor arguments and results, ipc::Queue items), on any bytes. The first byte
// picks the type, one of each kind the format has: trivially copyable values (integers, bool,
// double, an enum), std::string, std::vector (of trivially copyable elements, copied at once,
// and of others, one by one), std::array, std::pair, std::tuple, std::optional, nesting of
// these, and a user type with its own serialize / deserialize overloads. The rest is the
// input: a SerializationError or a value, never a crash or an allocation of what a length
// field claims; and a value decoded re-encodes to exactly the bytes it was decoded from.
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <weft/errors.hpp>
#include <weft/serialize.hpp>

namespace fuzzing {

enum class Colour : std::uint8_t { Red, Green };

// A user type: its overloads are found by argument-dependent lookup.
struct Account {
  std::string owner;
  std::vector<std::int64_t> moves;
  friend bool operator==(const Account&, const Account&) = default;
};
void serialize(weft::Writer& w, const Account& a) {
  weft::serialize(w, a.owner);
  weft::serialize(w, a.moves);
}
void deserialize(weft::Reader& r, Account& a) {
  weft::deserialize(r, a.owner);
  weft::deserialize(r, a.moves);
}

}  // namespace fuzzing

namespace {

// Decodes a T from `in`; on success the value must encode to the bytes it consumed, and (unless
// it holds doubles, whose NaNs differ from themselves) equal a copy of itself: comparing reads
// every part as its type, where UBSan sees a bool that is neither true nor false.
template <class T, bool compare = true>
void round_trip(std::span<const std::byte> in) {
  weft::Reader r(in);
  T value{};
  try {
    weft::deserialize(r, value);
  } catch (const weft::SerializationError&) {
    return;
  }
  weft::Writer w;
  weft::serialize(w, value);
  if constexpr (compare && std::equality_comparable<T>) {
    const T copy = value;
    if (!(copy == value)) std::abort();
  }
  const std::size_t used = in.size() - r.remaining();
  if (w.size() != used || std::memcmp(w.bytes().data(), in.data(), used) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  switch (data[0] % 16) {
    case 0:
      return round_trip<std::int32_t>(in), 0;
    case 1:
      return round_trip<std::uint64_t>(in), 0;
    case 2:
      return round_trip<bool>(in), 0;
    case 3:
      return round_trip<double, false>(in), 0;
    case 4:
      return round_trip<fuzzing::Colour>(in), 0;
    case 5:
      return round_trip<std::string>(in), 0;
    case 6:
      return round_trip<std::vector<std::int32_t>>(in), 0;
    case 7:
      return round_trip<std::vector<std::string>>(in), 0;
    case 8:
      return round_trip<std::array<std::int16_t, 3>>(in), 0;
    case 9:
      return round_trip<std::pair<std::int32_t, std::string>>(in), 0;
    case 10:
      return round_trip<std::tuple<bool, std::string, std::vector<double>>, false>(in), 0;
    case 11:
      return round_trip<std::optional<std::string>>(in), 0;
    case 12:
      return round_trip<std::vector<std::vector<std::pair<std::string, std::optional<bool>>>>>(in),
             0;
    case 13:
      return round_trip<fuzzing::Account>(in), 0;
    case 14:
      return round_trip<std::vector<fuzzing::Account>>(in), 0;
    default:
      return round_trip<std::vector<std::optional<std::array<char, 2>>>>(in), 0;
  }
}
