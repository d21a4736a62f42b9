// weft::serialize / weft::deserialize: every built-in kind round-trips (nested too), user types
// opt in through ADL, bad input is an error (never a crash or a huge allocation), and file
// descriptors travel over a real socket with SCM_RIGHTS.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <weft/serialize.hpp>

TEST_SUITE_BEGIN("process/serialize");

namespace user {
// Not trivially copyable (it owns a std::map): crosses only through its own overloads.
struct Inventory {
  std::string owner;
  std::map<std::string, int> items;
  bool operator==(const Inventory&) const = default;
};
void serialize(weft::Writer& w, const Inventory& v) {
  weft::serialize(w, v.owner);
  weft::serialize(w, std::vector<std::pair<std::string, int>>(v.items.begin(), v.items.end()));
}
void deserialize(weft::Reader& r, Inventory& v) {
  weft::deserialize(r, v.owner);
  std::vector<std::pair<std::string, int>> items;
  weft::deserialize(r, items);
  v.items = {items.begin(), items.end()};
}

// Trivially copyable but with its own format: the user overload wins (here it writes only one
// byte, which the round trip checks).
struct Tiny {
  std::uint8_t v;
  std::uint8_t pad[7];
};
void serialize(weft::Writer& w, const Tiny& t) { w.write(&t.v, 1); }
void deserialize(weft::Reader& r, Tiny& t) { r.read(&t.v, 1); }

struct NotSerializable {
  std::vector<int> v;  // not trivially copyable, no overloads
};
}  // namespace user

namespace {

struct Point {
  double x;
  double y;
  bool operator==(const Point&) const = default;
};

template <class T>
T round_trip(const T& value) {
  weft::Writer w;
  weft::serialize(w, value);
  weft::Reader r(w.bytes());
  T out{};
  weft::deserialize(r, out);
  CHECK(r.at_end());
  return out;
}

// A msghdr over one buffer with room for two descriptors, built by hand (independent of the
// library's own socket code).
struct RawMessage {
  RawMessage(void* data, std::size_t n) : iov{data, n} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  RawMessage(const RawMessage&) = delete;
  RawMessage& operator=(const RawMessage&) = delete;
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr msg{};
};

// A Writer's bytes with the last `drop` removed.
std::vector<std::byte> truncated(const weft::Writer& w, std::size_t drop) {
  auto b = w.bytes();
  return {b.begin(), b.end() - static_cast<std::ptrdiff_t>(drop)};
}

}  // namespace

static_assert(weft::Serializable<int>);
static_assert(weft::Serializable<Point>);
static_assert(weft::Serializable<std::string>);
static_assert(weft::Serializable<std::vector<std::optional<std::tuple<int, std::string>>>>);
static_assert(weft::Serializable<user::Inventory>);
static_assert(weft::Serializable<std::vector<user::Inventory>>);
static_assert(!weft::Serializable<int*>);
static_assert(!weft::Serializable<const char*>);
static_assert(!weft::Serializable<int Point::*>);
static_assert(!weft::Serializable<std::vector<int*>>);
static_assert(!weft::Serializable<std::pair<int, void*>>);
static_assert(!weft::Serializable<user::NotSerializable>);
static_assert(!weft::Serializable<std::optional<user::NotSerializable>>);
// Views hold addresses too: the viewed memory does not travel with them.
static_assert(!weft::Serializable<std::string_view>);
static_assert(!weft::Serializable<std::span<const int>>);
static_assert(!weft::Serializable<std::reference_wrapper<int>>);
static_assert(!weft::Serializable<std::tuple<int, std::string_view>>);

TEST_CASE("serialize_round_trips_every_built_in_kind") {
  CHECK(round_trip(42) == 42);
  CHECK(round_trip(-7LL) == -7LL);
  CHECK(round_trip(3.5) == 3.5);
  CHECK(round_trip('x') == 'x');
  CHECK(round_trip(true));
  CHECK(round_trip(Point{1.5, -2.0}) == Point{1.5, -2.0});
  CHECK(round_trip(std::string()).empty());
  CHECK(round_trip(std::string("hello\0world", 11)) == std::string("hello\0world", 11));
  CHECK(round_trip(std::vector<int>{}).empty());
  CHECK(round_trip(std::vector<int>{1, 2, 3}) == std::vector<int>{1, 2, 3});
  CHECK(round_trip(std::vector<std::string>{"a", "", "ccc"}) ==
        std::vector<std::string>{"a", "", "ccc"});
  CHECK(round_trip(std::optional<int>()) == std::nullopt);
  CHECK(round_trip(std::optional<std::string>("x")) == std::optional<std::string>("x"));
  CHECK(round_trip(std::pair<int, std::string>(1, "one")) == std::pair<int, std::string>(1, "one"));
  CHECK(round_trip(std::tuple<>()) == std::tuple<>());
  CHECK(round_trip(std::tuple<int, double, std::string>(1, 2.5, "three")) ==
        std::tuple<int, double, std::string>(1, 2.5, "three"));
  CHECK(round_trip(std::array<std::string, 2>{"l", "r"}) == std::array<std::string, 2>{"l", "r"});
}

TEST_CASE("serialize_round_trips_nested_containers") {
  using Deep =
      std::vector<std::pair<std::string, std::optional<std::vector<std::tuple<int, Point>>>>>;
  const Deep v{{"none", std::nullopt},
               {"empty", std::vector<std::tuple<int, Point>>{}},
               {"two", std::vector<std::tuple<int, Point>>{{1, {0, 1}}, {2, {3, 4}}}}};
  CHECK(round_trip(v) == v);
  const std::vector<std::vector<std::vector<std::string>>> cube{{{"a"}, {}}, {}, {{"b", "c"}}};
  CHECK(round_trip(cube) == cube);
  const std::vector<std::tuple<>> empties(5);
  CHECK(round_trip(empties).size() == 5);
}

TEST_CASE("serialize_uses_user_overloads_found_by_adl") {
  const user::Inventory inv{"ann", {{"apple", 3}, {"pear", 0}}};
  CHECK(round_trip(inv) == inv);
  const std::vector<std::optional<user::Inventory>> many{inv, std::nullopt, user::Inventory{}};
  CHECK(round_trip(many) == many);

  weft::Writer w;
  weft::serialize(w, user::Tiny{9, {}});
  CHECK(w.size() == 1);  // the overload, not the 8-byte trivially-copyable rule
  CHECK(round_trip(user::Tiny{9, {}}).v == 9);
}

TEST_CASE("deserialize_of_truncated_input_throws") {
  weft::Writer w;
  weft::serialize(w, std::make_tuple(7, std::string("payload"), std::vector<double>{1, 2}));
  for (std::size_t drop = 1; drop <= w.size(); ++drop) {
    const std::vector<std::byte> cut = truncated(w, drop);
    weft::Reader r(cut);
    std::tuple<int, std::string, std::vector<double>> out;
    CHECK_THROWS_AS(weft::deserialize(r, out), weft::SerializationError);
  }
  weft::Reader empty(std::span<const std::byte>{});
  int x = 0;
  CHECK_THROWS_WITH_AS(weft::deserialize(empty, x), doctest::Contains("truncated"),
                       weft::SerializationError);
}

TEST_CASE("deserialize_rejects_a_lying_length_before_allocating") {
  // A length prefix claiming far more elements than the input holds: an error, not bad_alloc.
  for (const std::uint64_t lie :
       {std::numeric_limits<std::uint64_t>::max(), std::uint64_t{1} << 40, std::uint64_t{100}}) {
    weft::Writer w;
    w.write(&lie, sizeof lie);
    const int some = 1;
    w.write(&some, sizeof some);
    {
      weft::Reader r(w.bytes());
      std::vector<std::uint64_t> v;
      CHECK_THROWS_WITH_AS(weft::deserialize(r, v), doctest::Contains("exceeds"),
                           weft::SerializationError);
    }
    {
      weft::Reader r(w.bytes());
      std::string s;
      CHECK_THROWS_AS(weft::deserialize(r, s), weft::SerializationError);
    }
    {
      weft::Reader r(w.bytes());
      std::vector<std::string> v;
      CHECK_THROWS_AS(weft::deserialize(r, v), weft::SerializationError);
    }
    {
      weft::Reader r(w.bytes());
      std::vector<user::Inventory> v;  // unknown element size: decoded until input runs out
      CHECK_THROWS_AS(weft::deserialize(r, v), weft::SerializationError);
    }
  }
  // A corrupt optional flag.
  weft::Writer w;
  const std::uint8_t flag = 7;
  w.write(&flag, 1);
  weft::Reader r(w.bytes());
  std::optional<int> o;
  CHECK_THROWS_WITH_AS(weft::deserialize(r, o), doctest::Contains("optional"),
                       weft::SerializationError);
}

TEST_CASE("take_fd_without_an_attached_fd_throws") {
  weft::Reader r(std::span<const std::byte>{});
  CHECK_THROWS_WITH_AS(r.take_fd(), doctest::Contains("file descriptor"), weft::SerializationError);
}

TEST_CASE("fds_round_trip_through_a_socketpair_with_scm_rights") {
  int sp[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);

  weft::Writer w;
  weft::serialize(w, std::string("with an fd"));
  w.add_fd(pipe_fds[1]);
  w.add_fd(pipe_fds[0]);

  // Send: bytes in the iovec, fds as SCM_RIGHTS ancillary data.
  {
    RawMessage m(const_cast<std::byte*>(w.bytes().data()), w.bytes().size());
    msghdr& msg = m.msg;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(w.fds().size() * sizeof(int));
    std::memcpy(CMSG_DATA(c), w.fds().data(), w.fds().size() * sizeof(int));
    REQUIRE(::sendmsg(sp[0], &msg, 0) == static_cast<ssize_t>(w.bytes().size()));
  }
  // The sender keeps owning its fds: close them, the received ones stay valid.
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);

  std::vector<std::byte> buf(256);
  std::vector<int> got;
  {
    RawMessage m(buf.data(), buf.size());
    msghdr& msg = m.msg;
    const ssize_t n = ::recvmsg(sp[1], &msg, MSG_CMSG_CLOEXEC);
    REQUIRE(n > 0);
    buf.resize(static_cast<std::size_t>(n));
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        got.resize((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        std::memcpy(got.data(), CMSG_DATA(c), got.size() * sizeof(int));
      }
    }
  }
  REQUIRE(got.size() == 2);

  weft::Reader r(buf, got);
  std::string s;
  weft::deserialize(r, s);
  CHECK(s == "with an fd");
  const int write_end = r.take_fd();
  const int read_end = r.take_fd();
  CHECK_THROWS_AS(r.take_fd(), weft::SerializationError);
  // The received descriptors are the same pipe: what goes in one end comes out of the other.
  REQUIRE(::write(write_end, "ping", 4) == 4);
  char back[4] = {};
  REQUIRE(::read(read_end, back, 4) == 4);
  CHECK(std::string(back, 4) == "ping");
  ::close(write_end);
  ::close(read_end);
  ::close(sp[0]);
  ::close(sp[1]);
}

namespace user {
// Encoded as a descriptor and no bytes at all, as ipc handles are.
struct FdOnly {
  int fd = -1;
};
void serialize(weft::Writer& w, const FdOnly& f) { w.add_fd(f.fd); }
void deserialize(weft::Reader& r, FdOnly& f) { f.fd = r.take_fd(); }
}  // namespace user

TEST_CASE("a_vector_of_values_encoded_only_as_descriptors_round_trips") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const std::vector<user::FdOnly> three{{p[0]}, {p[1]}, {p[0]}};
  weft::Writer w;
  weft::serialize(w, three);
  std::vector<std::byte> bytes(w.bytes().begin(), w.bytes().end());
  weft::Reader r(bytes, w.release_fds());
  std::vector<user::FdOnly> back;
  weft::deserialize(r, back);
  REQUIRE(back.size() == 3);
  for (const user::FdOnly& f : back) {
    CHECK(::fcntl(f.fd, F_GETFD) != -1);  // a live descriptor of its own
    ::close(f.fd);
  }
  // A length claiming more such values than descriptors came with it is refused.
  weft::Writer lie;
  weft::serialize(lie, std::uint64_t{4});
  weft::Reader short_of_fds(lie.bytes(), {::dup(p[0])});
  std::vector<user::FdOnly> none;
  CHECK_THROWS_AS(weft::deserialize(short_of_fds, none), weft::SerializationError);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("reader_closes_fds_it_was_given_but_never_handed_out") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const int dup_read = ::dup(p[0]);
  REQUIRE(dup_read >= 0);
  { weft::Reader r(std::span<const std::byte>{}, {dup_read}); }
  ::close(p[0]);
  CHECK(::fcntl(dup_read, F_GETFD) == -1);
  ::close(p[1]);
}

// Found by tests/fuzz/fuzz_deserialize (inputs in tests/fuzz/regressions/deserialize/): a bool
// was copied bit for bit, so a byte other than 0 or 1 made a bool neither true nor false.
TEST_CASE("deserialize_rejects_a_bool_byte_other_than_0_or_1") {
  const std::uint8_t bytes[] = {0xf4};
  weft::Reader r(std::as_bytes(std::span(bytes)));
  bool b = false;
  CHECK_THROWS_WITH_AS(weft::deserialize(r, b), doctest::Contains("corrupt bool (byte 244)"),
                       weft::SerializationError);
  for (const bool v : {false, true}) {
    weft::Writer w;
    weft::serialize(w, v);
    REQUIRE(w.size() == 1);
    weft::Reader back(w.bytes());
    bool got = !v;
    weft::deserialize(back, got);
    CHECK(got == v);
  }
}

// The same through a vector of trivially copyable elements that hold a bool (an optional's
// flag, an array of bools): they were one block of bytes, and are now decoded one by one.
TEST_CASE("a_vector_of_optionals_decodes_each_flag") {
  std::vector<std::uint8_t> bytes = {2, 0, 0, 0, 0, 0, 0, 0};  // two elements
  bytes.insert(bytes.end(), {1, 'a', 'b', 0xbd});  // the second's flag is neither 0 nor 1
  weft::Reader r(std::as_bytes(std::span(bytes)));
  std::vector<std::optional<std::array<char, 2>>> v;
  CHECK_THROWS_WITH_AS(weft::deserialize(r, v), doctest::Contains("corrupt optional flag"),
                       weft::SerializationError);

  const std::vector<std::optional<std::array<char, 2>>> good = {std::array<char, 2>{'x', 'y'},
                                                                std::nullopt};
  const std::vector<std::array<bool, 2>> flags = {{true, false}, {false, true}};
  weft::Writer w;
  weft::serialize(w, good);
  weft::serialize(w, flags);
  CHECK(w.size() == 8 + 3 + 1 + 8 + 4);
  weft::Reader back(w.bytes());
  std::vector<std::optional<std::array<char, 2>>> got;
  std::vector<std::array<bool, 2>> got_flags;
  weft::deserialize(back, got);
  weft::deserialize(back, got_flags);
  CHECK(got == good);
  CHECK(got_flags == flags);
  CHECK(back.at_end());
}

TEST_SUITE_END();
