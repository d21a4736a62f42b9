// Two lock-free structures whose correctness rests on memory orders: a single-producer
// single-consumer ring buffer and a Treiber stack. Each takes the order of its publishing
// operation, so that the examples (and weft's tests) can weaken it to relaxed and watch weft
// find the bug: the consumer then reads a slot (a Shared<T>, checked for races) that the
// producer's write is not ordered before.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <optional>

#include <weft/weft.hpp>

namespace lockfree {

// The classic SPSC ring: the producer writes a slot, then publishes it by advancing `tail`
// (release); the consumer sees it by loading `tail` (acquire), reads the slot, then frees it by
// advancing `head` (release), which the producer loads (acquire) before reusing the slot.
template <std::size_t N>
class SpscRing {
 public:
  explicit SpscRing(std::memory_order publish = std::memory_order_release) : publish_(publish) {
    for (weft::Shared<int>& slot : slots_) slot.set_name("ring slot");
  }

  bool try_push(int v) {
    const std::size_t t = tail_.load(std::memory_order_relaxed);  // only the producer writes it
    if (t - head_.load(std::memory_order_acquire) == N) return false;
    slots_[t % N].store(v);
    tail_.store(t + 1, publish_);
    return true;
  }
  std::optional<int> try_pop() {
    const std::size_t h = head_.load(std::memory_order_relaxed);  // only the consumer writes it
    if (tail_.load(std::memory_order_acquire) == h) return std::nullopt;
    const int v = slots_[h % N].load();
    head_.store(h + 1, std::memory_order_release);
    return v;
  }

 private:
  std::memory_order publish_;
  std::array<weft::Shared<int>, N> slots_;
  weft::Atomic<std::size_t> head_{0, "head"};
  weft::Atomic<std::size_t> tail_{0, "tail"};
};

// Treiber's stack. Nodes are owned by the caller and outlive the stack's use (no reclamation,
// hence no ABA). A push writes the node, then publishes it with a compare-exchange (release);
// a pop loads the head (acquire) before reading the node.
class TreiberStack {
 public:
  struct Node {
    weft::Shared<int> value{0, "node value"};
    weft::Shared<Node*> next{nullptr, "node next"};
  };

  explicit TreiberStack(std::memory_order publish = std::memory_order_release)
      : publish_(publish) {}

  void push(Node& n, int v) {
    n.value.store(v);
    Node* h = head_.load(std::memory_order_relaxed);
    do {
      n.next.store(h);
    } while (!head_.compare_exchange_weak(h, &n, publish_));
  }
  std::optional<int> pop() {
    Node* h = head_.load(std::memory_order_acquire);
    while (h != nullptr &&
           !head_.compare_exchange_weak(h, h->next.load(), std::memory_order_acquire)) {
    }
    if (h == nullptr) return std::nullopt;
    return h->value.load();
  }

 private:
  std::memory_order publish_;
  weft::Atomic<Node*> head_{nullptr, "head"};
};

// A producer pushes 1..items through a ring of two slots; the consumer takes them all, in order.
inline void ring_transfer(std::memory_order publish, int items = 3) {
  SpscRing<2> ring(publish);
  weft::Thread producer([&] {
    for (int i = 1; i <= items; ++i) {
      while (!ring.try_push(i)) weft::this_thread::yield();
    }
  });
  weft::Thread consumer([&] {
    for (int i = 1; i <= items; ++i) {
      std::optional<int> v;
      while (!(v = ring.try_pop())) weft::this_thread::yield();
      WEFT_ASSERT(*v == i);
    }
  });
  producer.join();
  consumer.join();
}

// Two threads push 1 and 2; a third pops both.
inline void stack_transfer(std::memory_order publish) {
  TreiberStack stack(publish);
  TreiberStack::Node a, b;
  weft::Thread p1([&] { stack.push(a, 1); });
  weft::Thread p2([&] { stack.push(b, 2); });
  weft::Thread consumer([&] {
    int sum = 0;
    for (int i = 0; i < 2; ++i) {
      std::optional<int> v;
      while (!(v = stack.pop())) weft::this_thread::yield();
      WEFT_ASSERT(*v == 1 || *v == 2);
      sum += *v;
    }
    WEFT_ASSERT(sum == 3);
  });
  p1.join();
  p2.join();
  consumer.join();
}

}  // namespace lockfree
