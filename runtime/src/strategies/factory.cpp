// make_scheduler: the strategy an exploration's Options name. Each strategy lives in a file of
// its own and is reached only through the Scheduler interface, so adding one touches its file
// and this switch, nothing in the execution or the explorer.
#include "strategy_util.hpp"

namespace weft::detail {

std::unique_ptr<Scheduler> make_scheduler(const Options& o) {
  switch (o.strategy) {
    case Strategy::Random:
      return make_random_scheduler(o.seed);
    case Strategy::PCT:
      return make_pct_scheduler(o.seed, o.pct_depth);
    case Strategy::POS:
      return make_pos_scheduler(o.seed);
    case Strategy::DFS:
      return make_dfs_scheduler(o.preemption_bound);
    case Strategy::Portfolio:
      return make_portfolio_scheduler(o.seed);
    case Strategy::Fuzz:
      return make_fuzz_scheduler(o.seed);
  }
  return make_portfolio_scheduler(o.seed);
}

}  // namespace weft::detail
