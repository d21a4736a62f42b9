// Happens-before data-race and lost-update detection over Shared<T> accesses.
//
// Vector clocks per thread and per synchronising object (Djit+/FastTrack style: the last write
// of a variable is one epoch, reads are one epoch per thread, reset by each write). A race is
// two accesses, at least one a write, that happens-before does not order — found from a
// single schedule whether or not the bad interleaving happened in it. Races between two
// read-modify-write sequences (`x += 1` in two threads) are lost updates; when this schedule
// actually lost one, the message says whose write was overwritten and what both read.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <weft/detail/checker.hpp>
#include <weft/detail/clocks.hpp>

namespace weft::detail {
namespace {

struct Access {
  ThreadId thread = kNoThread;
  Clock clock = 0;
  Location where{};
  CallSite pc{};
  ValueBits value{};
  std::uint64_t write_seq = 0;  // reads: which write they saw; writes: their own number
  bool rmw = false;             // writes: the thread read the variable since its last write
};

// A thread's last read of a variable: a race epoch until the next write by anyone, and the
// read half of a read-modify-write until the thread's own next write. One slot serves both so
// that a read is stored once; the flags say which roles it still plays.
struct ReadSlot {
  Access read;
  bool epoch = false;    // a race epoch (cleared by every write)
  bool pending = false;  // read since the thread's own last write
};

struct Variable {
  Access last_write;       // thread == kNoThread: only the initial value so far
  Access last_write_read;  // what the last writer had read before writing, if it had
  std::uint64_t writes = 0;
  std::vector<ReadSlot> slots;  // by thread; sized once, reset by flags
  bool raced = false;           // in some race of this execution
};

struct Race {
  bool lost_update = false;
  bool happened = false;  // a lost update that this schedule really lost
  ObjectId variable = kNoObject;
  Access first;   // earlier access
  Access second;  // later access
  bool first_is_write = true;
  bool second_is_write = true;
  Access second_read;  // lost updates: what the overwriting thread had read
  Access first_read;   // lost updates: what the overwritten writer had read (thread may be none)
};

// A pair of code sites (and the kind of race): what makes two races the same bug.
struct SiteKey {
  const char* file1;
  unsigned line1;
  CallSite pc1;
  const char* file2;
  unsigned line2;
  CallSite pc2;
  bool lost_update;
  friend bool operator==(const SiteKey&, const SiteKey&) = default;
};

class RaceChecker final : public Checker {
 public:
  // State is reset, not freed: the next schedule reuses every vector's capacity.
  void on_execution_begin() override {
    threads_used_ = 0;
    objects_used_ = 0;
    variables_used_ = 0;
    races_.clear();
  }

  bool wants(ModelEvent::Kind k) const override {
    // With the runtime's clocks, spawns and synchronisation are already in them.
    const bool own_clocks = runtime_clocks_ == nullptr;
    return (own_clocks && (k == ModelEvent::Kind::Spawn || k == ModelEvent::Kind::Sync)) ||
           k == ModelEvent::Kind::Read || k == ModelEvent::Kind::Write;
  }

  void use_clocks(ClockView* clocks) override { runtime_clocks_ = clocks; }

  void on_event(const ModelEvent& e) override {
    // Under MemoryModel::C11 the runtime's clocks are this checker's happens-before too: only
    // the accesses need work here.
    if (e.kind == ModelEvent::Kind::Read || e.kind == ModelEvent::Kind::Write) {
      now_ = runtime_clocks_ != nullptr ? &runtime_clocks_->clock(e.thread) : &thread(e.thread);
    } else if (runtime_clocks_ != nullptr) {
      return;
    }
    switch (e.kind) {
      case ModelEvent::Kind::Spawn: {
        VectorClock& child = thread(e.other);
        child = thread(e.thread);  // the child starts after everything its parent did
        tick(child, e.other);
        tick(thread(e.thread), e.thread);
        break;
      }
      case ModelEvent::Kind::Sync:
        // The atomic kinds come only under MemoryModel::C11, whose clocks are the runtime's.
        if (e.sync <= Sync::Overwrite) {
          apply_sync(thread(e.thread), e.thread, object(e.object), e.sync);
        }
        break;
      case ModelEvent::Kind::Read:
        read(e);
        break;
      case ModelEvent::Kind::Write:
        write(e);
        break;
      default:
        break;
    }
  }

  void racy_objects(std::vector<ObjectId>& out) const override {
    for (std::size_t o = 0; o < variables_used_; ++o) {
      if (variables_[o].raced) out.push_back(static_cast<ObjectId>(o));
    }
  }

  std::vector<Finding> on_execution_end(const Names& names) override {
    std::vector<Finding> out;
    for (const Race& r : races_) {
      // A race at the same code sites as one already reported by this checker is the same
      // bug (the exploration keeps the first report): skip it before building its message
      // (names, symbolised sites, values), which would cost more than the schedule itself.
      const SiteKey site = site_key(r);
      if (already_described(site)) continue;
      described_.push_back(site);
      Finding f = describe(r, names);
      const bool dup = std::any_of(out.begin(), out.end(), [&](const Finding& o) {
        return o.kind == f.kind && o.key == f.key;
      });
      if (!dup) out.push_back(std::move(f));
    }
    return out;
  }

 private:
  // Makes entries [used, n) fresh (emptied, capacity kept) and counts them as used.
  template <class V, class Reset>
  static void grow(V& v, std::size_t& used, std::size_t n, Reset reset) {
    if (n <= used) return;
    if (v.size() < n) v.resize(n);
    for (std::size_t i = used; i < n; ++i) reset(v[i]);
    used = n;
  }
  // Called several times per event: the first use of an id (growth) is kept off the path.
  VectorClock& thread(ThreadId t) {
    if (t >= threads_used_) [[unlikely]]
      first_use(t);
    return threads_[t];
  }
  [[gnu::noinline]] void first_use(ThreadId t) {
    grow(threads_, threads_used_, t + 1,
         [](VectorClock& vc) { std::fill(vc.begin(), vc.end(), 0); });
    VectorClock& vc = threads_[t];
    if (vc.size() <= t) vc.resize(t + 1, 0);
    if (vc[t] == 0) vc[t] = 1;
  }
  VectorClock& object(ObjectId o) {
    if (o >= objects_used_) [[unlikely]]
      grow(objects_, objects_used_, o + 1,
           [](VectorClock& vc) { std::fill(vc.begin(), vc.end(), 0); });
    return objects_[o];
  }
  Variable& variable(ObjectId o) {
    if (o < variables_used_) [[likely]]
      return variables_[o];
    grow(variables_, variables_used_, o + 1, [](Variable& v) {
      v.last_write = Access{};
      v.last_write_read = Access{};
      v.writes = 0;
      v.raced = false;
      for (ReadSlot& r : v.slots) r.epoch = r.pending = false;
    });
    return variables_[o];
  }
  // Whether `a` happens before the current point of thread `t`, the accessing one.
  bool ordered(const Access& a, ThreadId t) const {
    return a.thread == t || a.clock <= at(*now_, a.thread);
  }
  // Fills `a` in place, field by field: building an Access on the stack and copying it made
  // the copy's wide loads wait for the narrow stores before them (store forwarding fails),
  // a third of the cost of an access.
  void fill(Access& a, const ModelEvent& e, std::uint64_t write_seq, bool rmw) const {
    a.thread = e.thread;
    a.clock = at(*now_, e.thread);
    a.where = e.where;
    a.pc = e.pc;
    a.value = e.value;
    a.write_seq = write_seq;
    a.rmw = rmw;
  }
  Access access_of(const ModelEvent& e, bool rmw) const {
    Access a;
    fill(a, e, 0, rmw);
    return a;
  }

  ReadSlot& slot(Variable& v, ThreadId t) {
    if (v.slots.size() <= t) [[unlikely]]
      v.slots.resize(t + 1);
    return v.slots[t];
  }

  void read(const ModelEvent& e) {
    Variable& v = variable(e.object);
    ReadSlot& s = slot(v, e.thread);
    fill(s.read, e, v.writes, false);
    s.epoch = s.pending = true;
    if (v.last_write.thread != kNoThread && !ordered(v.last_write, e.thread)) {
      record(make(e.object, v.last_write, true, s.read, false));
    }
  }

  void write(const ModelEvent& e) {
    Variable& v = variable(e.object);
    // Read-modify-write: the thread read the variable since its own last write. The slot is
    // left as it is until the end: nothing below reads the variable.
    ReadSlot& mine = slot(v, e.thread);
    static const Access kNone{};
    const Access& own_read = mine.pending ? mine.read : kNone;
    const bool rmw = mine.pending;
    if (v.last_write.thread != kNoThread && !ordered(v.last_write, e.thread)) {
      Race r = make(e.object, v.last_write, true, access_of(e, rmw), true);
      r.lost_update = rmw && v.last_write.rmw;
      if (r.lost_update) {
        r.second_read = own_read;
        r.first_read = v.last_write_read;
        // Really lost here if this thread read a value older than the write it overwrites.
        r.happened = own_read.write_seq < v.last_write.write_seq;
        // The read of this read-modify-write raced with the same write: that is this lost
        // update, not a second bug.
        const Access& w = v.last_write;
        auto is = [](const Access& a, const Access& b) {
          return a.thread == b.thread && a.clock == b.clock;
        };
        std::erase_if(races_, [&](const Race& old) {
          if (old.lost_update || old.variable != e.object) return false;
          return (is(old.first, w) && is(old.second, own_read) && !old.second_is_write) ||
                 (is(old.first, own_read) && !old.first_is_write && is(old.second, w));
        });
      }
      record(std::move(r));
    }
    for (ReadSlot& r : v.slots) {
      if (r.epoch && r.read.thread != e.thread && !ordered(r.read, e.thread)) {
        record(make(e.object, r.read, false, access_of(e, rmw), true));
      }
      r.epoch = false;
    }
    // Only a read-modify-write needs what was read (own_read may be mine.read itself).
    if (rmw) {
      v.last_write_read = own_read;
    } else {
      v.last_write_read.thread = kNoThread;
    }
    mine.pending = false;
    fill(v.last_write, e, ++v.writes, rmw);
  }

  Race make(ObjectId var, const Access& first, bool first_write, const Access& second,
            bool second_write) {
    Race r;
    r.variable = var;
    r.first = first;
    r.second = second;
    r.first_is_write = first_write;
    r.second_is_write = second_write;
    return r;
  }
  SiteKey site_key(const Race& r) const {
    return SiteKey{r.first.where.file,  r.first.where.line, r.first.pc,   r.second.where.file,
                   r.second.where.line, r.second.pc,        r.lost_update};
  }
  bool already_described(const SiteKey& k) const {
    return std::find(described_.begin(), described_.end(), k) != described_.end();
  }

  // Keeps one race per pair of sites (a racy loop would otherwise record thousands), and none
  // already reported in an earlier schedule.
  void record(Race r) {
    variables_[r.variable].raced = true;
    auto same_site = [](const Access& x, const Access& y) {
      return x.pc == y.pc && x.where.file == y.where.file && x.where.line == y.where.line;
    };
    for (Race& old : races_) {
      if (old.variable == r.variable && same_site(old.first, r.first) &&
          same_site(old.second, r.second)) {
        // A lost update says more than a plain race, and one that happened more than its
        // prediction.
        if ((r.lost_update && !old.lost_update) || (r.happened && !old.happened)) {
          old = std::move(r);
        }
        return;
      }
    }
    // Checked after the upgrade above: a race this schedule already holds may still become
    // the lost update that was described before, rather than stay a plain race.
    if (already_described(site_key(r))) return;
    if (races_.size() < kMaxRaces) races_.push_back(std::move(r));
  }

  static std::string value_text(const ValueBits& v) {
    return v.format != nullptr ? v.format(v.bits) : std::string();
  }
  static BugSite access_site(const Names& n, const Access& a, bool write) {
    std::string what = write ? "writes" : "reads";
    const std::string v = value_text(a.value);
    if (!v.empty()) what += " " + v;
    return BugSite{n.thread(a.thread), n.site(a.where, a.pc), std::move(what)};
  }
  static std::string access_text(const Names& n, const Access& a, bool write) {
    std::string s = n.thread(a.thread) + (write ? " writes" : " reads");
    const std::string v = value_text(a.value);
    if (!v.empty()) s += " " + v;
    return s + " at " + n.site(a.where, a.pc);
  }

  Finding describe(const Race& r, const Names& n) const {
    const std::string var = n.object(r.variable);
    const std::string site1 = n.site(r.first.where, r.first.pc);
    const std::string site2 = n.site(r.second.where, r.second.pc);
    Finding f;
    f.sites = {access_site(n, r.first, r.first_is_write),
               access_site(n, r.second, r.second_is_write)};
    std::string a = site1, b = site2;
    if (b < a) std::swap(a, b);
    if (r.lost_update) {
      f.kind = BugKind::LostUpdate;
      f.key = var + "|" + a + "|" + b;
      const std::string t1 = n.thread(r.first.thread);
      const std::string t2 = n.thread(r.second.thread);
      if (r.happened) {
        const std::string w1 = value_text(r.first.value);
        const std::string w2 = value_text(r.second.value);
        const std::string read2 = value_text(r.second_read.value);
        const std::string read1 = value_text(r.first_read.value);
        // Values of a type that cannot be shown are left out rather than printed empty.
        f.message = "lost update of " + var + ": " + t2 + " wrote " + var;
        if (!w2.empty()) f.message += "=" + w2;
        f.message += " over " + t1 + "'s write";
        if (!w1.empty()) f.message += " of " + w1;
        if (!read2.empty()) {
          f.message += (!read1.empty() && read1 == read2) ? "; both read " + read2
                                                          : "; " + t2 + " had read " + read2;
        }
        f.message += " (" + t1 + " at " + site1 + ", " + t2 + " at " + site2 + ")";
      } else {
        f.message = "lost update of " + var + ": " + t1 + " (" + site1 + ") and " + t2 + " (" +
                    site2 +
                    ") read-modify-write it with nothing ordering them, so one update can "
                    "overwrite the other (not in this schedule, but in another)";
      }
      return f;
    }
    f.kind = BugKind::DataRace;
    f.key = var + "|" + a + "|" + b;
    f.message = "data race on " + var + ": " + access_text(n, r.first, r.first_is_write) + " and " +
                access_text(n, r.second, r.second_is_write) + ", not ordered by happens-before";
    return f;
  }

  std::vector<VectorClock> threads_;
  // The accessing thread's clock during read() and write(): the runtime's (MemoryModel::C11)
  // or threads_'s.
  ClockView* runtime_clocks_ = nullptr;
  const VectorClock* now_ = nullptr;
  std::vector<VectorClock> objects_;
  std::vector<Variable> variables_;
  std::vector<Race> races_;
  // Site pairs already described in this exploration (per process; the exploring process
  // deduplicates across processes by the findings' keys).
  std::vector<SiteKey> described_;
  std::size_t threads_used_ = 0;
  std::size_t objects_used_ = 0;
  std::size_t variables_used_ = 0;
  static constexpr std::size_t kMaxRaces = 64;
};

}  // namespace

std::unique_ptr<Checker> make_race_checker() { return std::make_unique<RaceChecker>(); }

}  // namespace weft::detail
