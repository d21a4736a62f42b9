// The default strategy. No single strategy finds every kind of bug soonest: PCT at depth d needs
// exactly d-1 priority changes (depth 3 cannot put four threads inside a Semaphore(4)), Random
// finds shallow bugs among many threads, POS samples partial orders evenly, Fuzz finds the
// bugs of many threads that need one well-placed switch. A portfolio runs
// each of them on a share of the schedules, so a bug any of them finds quickly is found within a
// small multiple of that. Which member runs schedule i is a function of (seed, i) alone, as each
// member's schedule is, so the report is the same for any number of worker processes.
#include <array>
#include <memory>
#include <string>

#include "execution.hpp"
#include "strategy_util.hpp"

namespace weft::detail {
namespace {

// The members, in slot order. Fuzz takes four slots of thirteen, Random and POS two each, each
// PCT depth one: the five depths are variations of one idea, and the bug suite's many-thread
// programs, which only the fuzzer finds within 10,000 schedules, need its share.
enum class Member { Random, SpawnerFirst, Pos, Fuzz, Pct1, Pct2, Pct3, Pct4, Pct5 };
constexpr std::array kSlots = {Member::Random, Member::Pct1, Member::Fuzz, Member::Pos,
                               Member::Pct2,   Member::Fuzz, Member::Pct3, Member::SpawnerFirst,
                               Member::Fuzz,   Member::Pct4, Member::Pos,  Member::Fuzz,
                               Member::Pct5};

Member member_of(std::uint64_t seed, std::uint64_t iteration) {
  // Hashed rather than round-robin, so that a body whose behaviour has a period in the schedule
  // number (there is none today, but a body may count its runs) is not always met by one member.
  std::uint64_t x = seed ^ (iteration * 0x9e3779b97f4a7c15ull);
  return kSlots[splitmix64(x) % kSlots.size()];
}

class PortfolioScheduler final : public Scheduler {
 public:
  explicit PortfolioScheduler(std::uint64_t seed)
      : seed_(seed),
        random_(make_random_scheduler(seed)),
        spawner_first_(make_spawner_first_scheduler(seed)),
        pos_(make_pos_scheduler(seed)),
        fuzz_(make_fuzz_scheduler(seed)) {
    for (int d = 1; d <= 5; ++d) pct_[d - 1] = make_pct_scheduler(seed, d);
  }
  bool begin_execution(std::uint64_t iteration) override {
    current_ = &pick(member_of(seed_, iteration));
    return current_->begin_execution(iteration);
  }
  ThreadId next_thread(const Execution& ex, std::span<const ThreadId> runnable, ThreadId current,
                       bool yielding) override {
    return current_->next_thread(ex, runnable, current, yielding);
  }
  std::optional<std::uint32_t> next_choice(std::uint32_t bound) override {
    return current_->next_choice(bound);
  }
  void end_execution(std::uint64_t steps) override { current_->end_execution(steps); }
  void set_step_estimate(std::uint64_t steps) override {
    for (auto& p : pct_) p->set_step_estimate(steps);
    fuzz_->set_step_estimate(steps);
  }
  bool feeds_back() const override { return true; }
  bool is_fuzz_run(std::uint64_t iteration) const override {
    return member_of(seed_, iteration) == Member::Fuzz;
  }
  void admit(const std::vector<std::uint64_t>& iterations) override { fuzz_->admit(iterations); }
  std::string name() const override { return "portfolio"; }

 private:
  Scheduler& pick(Member m) {
    switch (m) {
      case Member::Random:
        return *random_;
      case Member::SpawnerFirst:
        return *spawner_first_;
      case Member::Pos:
        return *pos_;
      case Member::Fuzz:
        return *fuzz_;
      default:
        return *pct_[static_cast<int>(m) - static_cast<int>(Member::Pct1)];
    }
  }
  std::uint64_t seed_;
  std::unique_ptr<Scheduler> random_;
  std::unique_ptr<Scheduler> spawner_first_;
  std::unique_ptr<Scheduler> pos_;
  std::unique_ptr<Scheduler> fuzz_;
  std::array<std::unique_ptr<Scheduler>, 5> pct_;
  Scheduler* current_ = nullptr;
};

}  // namespace

std::unique_ptr<Scheduler> make_portfolio_scheduler(std::uint64_t seed) {
  return std::make_unique<PortfolioScheduler>(seed);
}

std::string portfolio_member(std::uint64_t seed, std::uint64_t iteration) {
  const Member m = member_of(seed, iteration);
  switch (m) {
    case Member::Random:
      return "random";
    case Member::SpawnerFirst:
      return "random, spawner first";
    case Member::Pos:
      return "pos";
    case Member::Fuzz:
      return "fuzz";
    default:
      return "pct, depth " +
             std::to_string(static_cast<int>(m) - static_cast<int>(Member::Pct1) + 1);
  }
}

}  // namespace weft::detail
