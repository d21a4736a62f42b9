// Greybox fuzzing of schedules, after RFF (Wolff, Shi, Sen, Su, Roychoudhury, ASPLOS 2024) and
// PERIOD: a schedule is an abstract genome — thread priorities (a seed they are hashed from)
// and a few preemption points (at the s-th scheduling decision, switch to the r-th other thread
// that can run) over a run that otherwise lets the running thread go on and, when it stops,
// runs the highest-priority thread. The whole run is a function of the genome, so a mutant
// keeps what made its parent interesting (which thread went first) and changes one thing. Genomes
// whose runs showed a new interleaving (a reads-from pair of sites, a lock or event hand-off, a
// preemption at a new site: Execution's coverage) join a corpus, and most schedules are mutations
// of a corpus genome. Threads running in long stretches with rare, well-placed switches is what
// many-thread bugs need (a checker reading between a writer's two stores while dozens of other
// threads wait), and what uniform random switching almost never gives.
//
// Determinism: the genome of schedule i is a function of (seed, i) and the corpus, and the
// corpus changes only between batches of schedules (Explorer admits a batch's new-coverage runs
// in schedule order when the next batch begins), so every process derives the same genome for
// schedule i, and a report is the same for any --jobs.
#include <algorithm>
#include <vector>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

struct Point {
  std::uint32_t step;  // 1-based count of thread decisions in the run
  std::uint32_t pick;  // which runnable thread (mod their number), skipping the running one
  friend bool operator<(const Point& a, const Point& b) { return a.step < b.step; }
};
struct Genome {
  std::uint64_t priorities = 0;  // thread t's priority: a hash of this and t
  std::vector<Point> points;     // sorted by step
};

constexpr std::size_t kMaxPoints = 8;

class FuzzScheduler final : public Scheduler {
 public:
  explicit FuzzScheduler(std::uint64_t seed) : seed_(seed) {}

  bool begin_execution(std::uint64_t iteration) override {
    genome_ = genome_of(iteration);
    rng_.seed(genome_.priorities, 1);  // the body's own choices: the genome's too
    priority_.clear();
    lowest_ = 0;
    step_ = 0;
    next_point_ = 0;
    return true;
  }

  ThreadId next_thread(const Execution&, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    ++step_;
    const auto n = static_cast<std::uint32_t>(runnable.size());
    const bool current_runs = std::binary_search(runnable.begin(), runnable.end(), current);
    const std::vector<Point>& points = genome_.points;
    while (next_point_ < points.size() && points[next_point_].step < step_) ++next_point_;
    if (next_point_ < points.size() && points[next_point_].step == step_ && n > 1) {
      const std::uint32_t pick = points[next_point_++].pick;
      // Among the threads other than the running one, so that a point is always a switch.
      const std::uint32_t others = current_runs ? n - 1 : n;
      std::uint32_t r = pick % others;
      for (ThreadId t : runnable) {
        if (current_runs && t == current) continue;
        if (r-- == 0) return t;
      }
    }
    if (current_runs && !(yielding && n > 1)) return current;
    while (priority_.size() <= runnable.back()) {
      std::uint64_t x = genome_.priorities ^ (priority_.size() * 0xd1b54a32d192ed03ull);
      priority_.push_back(static_cast<std::int64_t>(splitmix64(x) >> 2));
    }
    // A yielding thread goes below every other, so that spin loops let the others run.
    if (yielding && current < priority_.size()) priority_[current] = --lowest_;
    return highest_priority(runnable, priority_);
  }

  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    return rng_.below(bound);
  }
  void set_step_estimate(std::uint64_t steps) override {
    k_ = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(steps, 1, 1u << 30));
  }
  bool feeds_back() const override { return true; }
  bool is_fuzz_run(std::uint64_t) const override { return true; }
  void admit(const std::vector<std::uint64_t>& iterations) override {
    // Each genome is the one its schedule ran, made from the corpus as it was then: all of them
    // first, then the corpus grows.
    std::vector<Genome> fresh;
    fresh.reserve(iterations.size());
    for (const std::uint64_t i : iterations) fresh.push_back(genome_of(i));
    for (Genome& g : fresh) corpus_.push_back(std::move(g));
  }
  std::string name() const override { return "fuzz"; }

 private:
  Genome genome_of(std::uint64_t iteration) const {
    Rng g;
    g.seed(seed_ ^ 0xa0761d6478bd642full, iteration);
    Genome out;
    // A fifth of the schedules, and all until the corpus has something, start afresh.
    if (corpus_.empty() || g.below(5) == 0) {
      out.priorities = g.next();
      const std::uint32_t points = g.below(4);
      for (std::uint32_t p = 0; p < points; ++p) out.points.push_back(random_point(g));
    } else {
      // Recent entries are likelier parents: they extend what was found last.
      const auto size = static_cast<std::uint32_t>(corpus_.size());
      const std::uint32_t recent = std::min<std::uint32_t>(size, 32);
      const std::uint32_t at = g.below(2) == 0 ? size - 1 - g.below(recent) : g.below(size);
      out = corpus_[at];
      const std::uint32_t mutations = 1 + g.below(3);
      for (std::uint32_t m = 0; m < mutations; ++m) mutate(out, g);
    }
    std::sort(out.points.begin(), out.points.end());
    return out;
  }

  Point random_point(Rng& g) const {
    return Point{1 + static_cast<std::uint32_t>(g.next() % k_),
                 static_cast<std::uint32_t>(g.next())};
  }

  void mutate(Genome& genome, Rng& g) const {
    std::vector<Point>& points = genome.points;
    const auto any = [&] { return g.below(static_cast<std::uint32_t>(points.size())); };
    switch (g.below(6)) {
      case 0:  // one more switch: anywhere, or right after one (a thread stopped again soon)
        if (points.size() >= kMaxPoints) return;
        if (!points.empty() && g.below(2) == 0) {
          Point p = points[any()];
          p.step += 1 + g.below(3);
          p.pick = static_cast<std::uint32_t>(g.next());
          points.push_back(p);
        } else {
          points.push_back(random_point(g));
        }
        return;
      case 1:  // one fewer
        if (!points.empty()) points.erase(points.begin() + any());
        return;
      case 2: {  // a switch a little earlier or later
        if (points.empty()) return;
        Point& p = points[any()];
        const std::uint32_t delta = 1 + g.below(std::max<std::uint32_t>(k_ / 8, 2));
        p.step = g.below(2) == 0 ? (p.step > delta ? p.step - delta : 1) : p.step + delta;
        return;
      }
      case 3:  // the same place, another thread
        if (!points.empty()) points[any()].pick = static_cast<std::uint32_t>(g.next());
        return;
      case 4:  // other priorities, the same switches
        genome.priorities = g.next();
        return;
      default: {  // the start of this genome, the rest of another's
        const Genome& other = corpus_[g.below(static_cast<std::uint32_t>(corpus_.size()))];
        const std::uint32_t cut = 1 + static_cast<std::uint32_t>(g.next() % k_);
        std::erase_if(points, [cut](const Point& p) { return p.step >= cut; });
        for (const Point& p : other.points) {
          if (p.step >= cut && points.size() < kMaxPoints) points.push_back(p);
        }
        return;
      }
    }
  }

  std::uint64_t seed_;
  std::uint32_t k_ = 100;
  std::vector<Genome> corpus_;
  Genome genome_;
  Rng rng_;
  std::vector<std::int64_t> priority_;  // by thread id, from the genome; yields lower them
  std::int64_t lowest_ = 0;
  std::uint64_t step_ = 0;
  std::size_t next_point_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> make_fuzz_scheduler(std::uint64_t seed) {
  return std::make_unique<FuzzScheduler>(seed);
}

}  // namespace weft::detail
