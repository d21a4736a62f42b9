#include "wire.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

namespace weft::detail {
namespace {

class Out {
 public:
  void u64(std::uint64_t v) { buf_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    buf_ += s;
  }
  void strs(const std::vector<std::string>& v) {
    u64(v.size());
    for (const std::string& s : v) str(s);
  }
  void decisions(const std::vector<Schedule::Decision>& v) {
    u64(v.size());
    for (const Schedule::Decision& d : v) u64((std::uint64_t{d.bound} << 32) | d.value);
  }
  // Appends the record, framed by its length, to `out`.
  void frame_into(std::string& out) const {
    const std::uint64_t n = buf_.size();
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out += buf_;
  }

 private:
  std::string buf_;
};

class In {
 public:
  In(const char* p, std::size_t n) : p_(p), end_(p + n) {}
  std::uint64_t u64() {
    std::uint64_t v = 0;
    if (static_cast<std::size_t>(end_ - p_) < sizeof v) throw std::runtime_error("short record");
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    if (static_cast<std::uint64_t>(end_ - p_) < n) throw std::runtime_error("short record");
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  // A count of items that take at least `min_bytes` each: one the record cannot hold is a
  // corrupt record, never an allocation of that many.
  std::uint64_t count(std::size_t min_bytes) {
    const std::uint64_t n = u64();
    if (static_cast<std::uint64_t>(end_ - p_) / min_bytes < n) {
      throw std::runtime_error("short record");
    }
    return n;
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v(count(sizeof(std::uint64_t)));
    for (std::string& s : v) s = str();
    return v;
  }
  std::vector<Schedule::Decision> decisions() {
    std::vector<Schedule::Decision> v(count(sizeof(std::uint64_t)));
    for (Schedule::Decision& d : v) {
      const std::uint64_t x = u64();
      d.value = static_cast<std::uint32_t>(x);
      d.bound = static_cast<std::uint32_t>(x >> 32);
    }
    return v;
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace

void append_record(std::string& out, std::uint64_t iteration, const RunResult& r) {
  Out o;
  o.u64(1);
  o.u64(iteration);
  o.u64(r.steps);
  o.u64(r.fingerprint);
  o.u64(r.bugs.size());
  for (const PendingBug& b : r.bugs) {
    o.u64(static_cast<std::uint64_t>(b.kind));
    o.str(b.message);
    o.str(b.key);
    o.strs(b.locks);
  }
  o.u64(r.edges.size());
  for (const LockEdge& e : r.edges) {
    o.str(e.from);
    o.str(e.to);
    o.str(e.from_name);
    o.str(e.to_name);
    o.str(e.thread);
    o.strs(e.gates);
    o.str(e.from_site);
    o.str(e.to_site);
  }
  o.decisions(r.decisions);
  o.strs(r.racy);
  o.u64(r.coverage.size());
  for (const std::uint64_t h : r.coverage) o.u64(h);
  o.frame_into(out);
}

void append_clean(std::string& out, std::uint64_t iteration) {
  Out o;
  o.u64(3);
  o.u64(iteration);
  o.frame_into(out);
}

void append_end(std::string& out, bool exhausted, std::uint64_t last_iteration,
                const std::vector<Schedule::Decision>& last) {
  Out o;
  o.u64(2);
  o.u64(exhausted ? 1 : 0);
  o.u64(last_iteration);
  o.decisions(last);
  o.frame_into(out);
}

void write_out(int fd, std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw std::system_error(errno, std::generic_category(), "worker pipe");
    done += static_cast<std::size_t>(w);
  }
  bytes.clear();
}

bool WireReader::fill(int fd) {
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    feed(std::string_view(chunk, static_cast<std::size_t>(n)));
    return true;
  }
}

std::optional<WireRecord> WireReader::next() {
  std::uint64_t n = 0;
  if (buffer_.size() - at_ < sizeof n) return std::nullopt;
  std::memcpy(&n, buffer_.data() + at_, sizeof n);
  if (buffer_.size() - at_ - sizeof n < n) return std::nullopt;
  In in(buffer_.data() + at_ + sizeof n, static_cast<std::size_t>(n));
  at_ += sizeof n + n;
  if (at_ == buffer_.size()) {
    buffer_.clear();
    at_ = 0;
  }
  WireRecord rec;
  const std::uint64_t type = in.u64();
  if (type == 3) {  // a clean run: nothing but its number
    rec.iteration = in.u64();
    return rec;
  }
  if (type == 2) {
    rec.end = true;
    rec.exhausted = in.u64() != 0;
    rec.iteration = in.u64();
    rec.last = in.decisions();
    return rec;
  }
  rec.iteration = in.u64();
  rec.result.steps = in.u64();
  rec.result.fingerprint = in.u64();
  // A bug is at least its kind and three lengths; a lock-order edge, seven strings and a list.
  rec.result.bugs.resize(in.count(4 * sizeof n));
  for (PendingBug& b : rec.result.bugs) {
    const std::uint64_t kind = in.u64();
    if (kind > static_cast<std::uint64_t>(BugKind::Hang)) throw std::runtime_error("bad bug kind");
    b.kind = static_cast<BugKind>(kind);
    b.message = in.str();
    b.key = in.str();
    b.locks = in.strs();
  }
  rec.result.edges.resize(in.count(8 * sizeof n));
  for (LockEdge& e : rec.result.edges) {
    e.from = in.str();
    e.to = in.str();
    e.from_name = in.str();
    e.to_name = in.str();
    e.thread = in.str();
    e.gates = in.strs();
    e.from_site = in.str();
    e.to_site = in.str();
  }
  rec.result.decisions = in.decisions();
  rec.result.racy = in.strs();
  rec.result.coverage.resize(in.count(sizeof n));
  for (std::uint64_t& h : rec.result.coverage) h = in.u64();
  return rec;
}

SharedMapping::SharedMapping(std::size_t bytes) : bytes_(bytes) {
  data_ = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (data_ == MAP_FAILED) throw std::bad_alloc();
}

SharedMapping::~SharedMapping() { ::munmap(data_, bytes_); }

}  // namespace weft::detail
