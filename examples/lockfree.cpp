// Lock-free structures under the C++ memory model (MemoryModel::C11, the default): with their
// release/acquire orders they are correct; with the publishing store or compare-exchange
// weakened to relaxed, the consumer's read of the slot is a data race weft reports.
#include <atomic>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

#include "lockfree.hpp"

WEFT_SCENARIO("lock-free: SPSC ring buffer") { lockfree::ring_transfer(std::memory_order_release); }
WEFT_SCENARIO("lock-free: SPSC ring publishing with a relaxed store") {
  lockfree::ring_transfer(std::memory_order_relaxed);
}
WEFT_SCENARIO("lock-free: Treiber stack") { lockfree::stack_transfer(std::memory_order_release); }
WEFT_SCENARIO("lock-free: Treiber stack pushing with a relaxed compare-exchange") {
  lockfree::stack_transfer(std::memory_order_relaxed);
}
