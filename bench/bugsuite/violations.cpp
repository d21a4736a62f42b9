// Atomicity and order violations from the bug studies and the memory-corruption benchmarks:
// Lu, Park, Seo and Zhou, "Learning from mistakes: a comprehensive study on real world
// concurrency bug characteristics" (ASPLOS 2008: the MySQL, Mozilla and Apache examples);
// ConVul (Cai et al., "Detecting concurrency memory corruption vulnerabilities", FSE 2019) and
// PERIOD (Wen et al., "Controlled concurrency testing via periodical scheduling", ICSE 2022),
// whose programs are use-after-free, NULL dereference and double free races; double-checked
// locking (Schmidt and Harrison, PLoP 1996) and the lazy-initialisation race; and Java 1.4's
// StringBuffer.append (Flanagan and Qadeer, PLDI 2003; SCTBench's CB stringbuffer-jdk1.4).
// Written fresh in weft's idiom from those descriptions.
//
// Pointers are modelled as integer handles (0 = NULL) so that no address decides what a
// schedule does; "freeing" marks the object freed (see bugsuite.hpp).
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <weft/weft.hpp>

#include "bugsuite.hpp"

namespace bugsuite {
namespace {

// use_after_free (ConVul / PERIOD use-after-free family: a close path frees an object that a
// concurrent reader has already loaded). The reader loads the buffer handle and, if it is not
// NULL, uses the buffer; the closer clears the handle and frees the buffer. Bug: nothing keeps
// the buffer alive between the reader's load and its use. Fixed: both under the buffer's lock.
// Expected: AssertionFailure ("use after free").
void use_after_free(bool buggy) {
  weft::Atomic<int> buffer(1, "buffer");  // handle of the one buffer, 0 = NULL
  weft::Atomic<bool> freed(false, "buffer freed");
  weft::Atomic<int> data(7, "buffer data");
  weft::Mutex m("buffer lock");
  weft::Thread reader([&] {
    std::unique_lock g(m, std::defer_lock);
    if (!buggy) g.lock();
    if (buffer.load() == 0) return;
    WEFT_ASSERT_MSG(!freed.load(), "use after free: the buffer was freed after it was loaded");
    (void)data.load();
  });
  weft::Thread closer([&] {
    std::unique_lock g(m, std::defer_lock);
    if (!buggy) g.lock();
    buffer.store(0);
    freed.store(true);
  });
  reader.join();
  closer.join();
}

// null_after_close (Lu et al.'s MySQL example — thd->proc_info checked, then used, while another
// thread sets it to NULL — and ConVul's NULL-dereference family). The user tests the pointer
// and then dereferences it, reading it twice; the closer sets it to NULL in between. Fixed:
// both under one lock. Expected: AssertionFailure ("NULL dereference").
void null_after_close(bool buggy) {
  weft::Atomic<int> proc_info(1, "proc_info");  // 0 = NULL
  weft::Mutex m("thd lock");
  weft::Thread user([&] {
    std::unique_lock g(m, std::defer_lock);
    if (!buggy) g.lock();
    if (proc_info.load() != 0) {
      WEFT_ASSERT_MSG(proc_info.load() != 0, "NULL dereference: proc_info cleared after the test");
    }
  });
  weft::Thread closer([&] {
    std::unique_lock g(m, std::defer_lock);
    if (!buggy) g.lock();
    proc_info.store(0);
  });
  user.join();
  closer.join();
}

// double_free (ConVul / PERIOD double-free family). Two threads close the same resource with
// "if not closed: mark closed, free it". Bug (check-then-act): both can test before either
// marks it, and both free it. Fixed: the test and the mark in one exchange. Expected:
// AssertionFailure ("double free").
void double_free(bool buggy) {
  weft::Atomic<bool> closed(false, "closed");
  weft::Atomic<int> frees(0, "frees");
  auto close = [&] {
    const bool was_closed = buggy ? closed.load() : closed.exchange(true);
    if (was_closed) return;
    if (buggy) closed.store(true);
    const int before = frees.fetch_add(1);
    WEFT_ASSERT_MSG(before == 0, "double free");
  };
  weft::Thread a(close);
  weft::Thread b(close);
  a.join();
  b.join();
}

// order_violation (Lu et al.'s Mozilla nsThread example). The creator starts a thread and then
// stores its handle in mThread; the new thread reads mThread at once. Bug: nothing makes the
// store happen before the read. Fixed: the new thread waits for an event the creator sets
// after the store. Expected: AssertionFailure.
void order_violation(bool buggy) {
  weft::Atomic<int> m_thread(0, "mThread");  // 0 until the creator stores the handle
  weft::Event assigned("mThread assigned");
  weft::Thread t([&] {
    if (!buggy) assigned.wait();
    WEFT_ASSERT_MSG(m_thread.load() != 0, "the new thread read mThread before it was assigned");
  });
  m_thread.store(1);
  assigned.set();
  t.join();
}

// double_checked_locking (Schmidt and Harrison's pattern; its classic bug). get_instance()
// tests the instance pointer without the lock and, if it is NULL, takes the lock, tests again
// and creates the instance. Bug: the pointer is published before the instance's field is
// written (what a compiler or a weakly ordered CPU may do with the constructor's stores), so a
// thread that sees the pointer on the fast path reads a field nothing orders with its write.
// weft's happens-before checker reports that read as a race, from any schedule in which a thread
// takes the fast path after the publication. Fixed: write the field, then publish. Expected:
// DataRace.
void double_checked_locking(bool buggy) {
  weft::Atomic<bool> instance(false, "instance");  // the published pointer
  weft::Shared<int> field(0, "instance->value");
  weft::Mutex m("instance lock");
  auto get_instance = [&] {
    if (!instance.load()) {
      std::lock_guard g(m);
      if (!instance.load()) {
        if (buggy) instance.store(true);  // BUG: published before it is initialised
        field.store(42);
        if (!buggy) instance.store(true);
      }
    }
    return field.load();
  };
  // No assertion on the value read: a schedule that fails one ends before the initialising
  // write, so the race would go unseen there. The race is the bug: the read may see 0.
  weft::Thread a([&] { (void)get_instance(); });
  weft::Thread b([&] { (void)get_instance(); });
  a.join();
  b.join();
}

// lazy_init (the unsynchronised lazy-initialisation race). Two threads call get(), which
// creates the object on first use: "if not initialised: create, mark initialised". Bug:
// both can test before either marks, and the object is created twice (two instances of a
// singleton). Fixed: the test and the creation under a lock. Expected: AssertionFailure.
void lazy_init(bool buggy) {
  weft::Atomic<bool> initialised(false, "initialised");
  weft::Atomic<int> created(0, "instances created");
  weft::Mutex m("init lock");
  auto get = [&] {
    std::unique_lock g(m, std::defer_lock);
    if (!buggy) g.lock();
    if (!initialised.load()) {
      const int before = created.fetch_add(1);
      WEFT_ASSERT_MSG(before == 0, "the singleton was created twice");
      initialised.store(true);
    }
  };
  weft::Thread a(get);
  weft::Thread b(get);
  a.join();
  b.join();
}

// A Java 1.4 StringBuffer: every method synchronised on the buffer's own lock.
class StringBuffer {
 public:
  StringBuffer(std::string s, std::string_view name) : m_(name), s_(std::move(s)) {}
  int length() {
    std::lock_guard g(m_);
    return static_cast<int>(s_.size());
  }
  std::string get_chars(int begin, int end) {
    std::lock_guard g(m_);
    if (end > static_cast<int>(s_.size())) {
      throw std::out_of_range("StringIndexOutOfBoundsException: end " + std::to_string(end) +
                              " > length " + std::to_string(s_.size()));
    }
    return s_.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
  }
  void set_length(int n) {
    std::lock_guard g(m_);
    s_.resize(static_cast<std::size_t>(n));
  }
  // append(other) as in JDK 1.4: other.length(), then other.getChars(0, length), each
  // synchronised on `other` alone — not together.
  void append_racy(StringBuffer& other) {
    const int n = other.length();
    const std::string chars = other.get_chars(0, n);
    std::lock_guard g(m_);
    s_ += chars;
  }
  void append_fixed(StringBuffer& other) {
    std::string chars;
    {
      std::lock_guard g(other.m_);
      chars = other.s_;
    }
    std::lock_guard g(m_);
    s_ += chars;
  }

 private:
  weft::Mutex m_;
  std::string s_;  // guarded by m_
};

// stringbuffer (Flanagan and Qadeer's atomicity violation in JDK 1.4's StringBuffer.append;
// SCTBench CB stringbuffer-jdk1.4). One thread appends sb2 to sb1; another truncates sb2. Bug:
// append reads sb2's length and copies its characters in two separately synchronised calls;
// a truncation in between makes the copy run past the end, and getChars throws. Fixed: the
// length and the copy under sb2's lock at once. Expected: UncaughtException.
void stringbuffer(bool buggy) {
  StringBuffer sb1("abc", "sb1 lock");
  StringBuffer sb2("defgh", "sb2 lock");
  weft::Thread appender([&] {
    if (buggy) {
      sb1.append_racy(sb2);
    } else {
      sb1.append_fixed(sb2);
    }
  });
  weft::Thread truncater([&] { sb2.set_length(0); });
  appender.join();
  truncater.join();
}

// apache_log (Lu et al.'s Apache example: two threads append to the shared log buffer without
// a lock). A writer reads the buffer's length, copies its record into the cells from there and
// stores the new length. Bug: two writers that read the same length overwrite each other's
// record and the buffer keeps only one. Fixed: appends under the log lock. Expected:
// AssertionFailure.
void apache_log(bool buggy) {
  constexpr int kRecord = 2;
  constexpr int kWriters = 2;
  weft::Atomic<int> length(0, "log length");
  std::deque<weft::Atomic<int>> cells;
  for (int i = 0; i < kRecord * kWriters; ++i) {
    cells.emplace_back(0, "log cell " + std::to_string(i));
  }
  weft::Mutex m("log lock");
  std::vector<weft::Thread> writers;
  for (int w = 1; w <= kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::unique_lock g(m, std::defer_lock);
      if (!buggy) g.lock();
      const int at = length.load();
      for (int k = 0; k < kRecord; ++k) cells[static_cast<std::size_t>(at + k)].store(w);
      length.store(at + kRecord);
    });
  }
  for (weft::Thread& t : writers) t.join();
  WEFT_ASSERT_MSG(length.load() == kRecord * kWriters,
                  "the log holds " + std::to_string(length.load()) + " cells, expected " +
                      std::to_string(kRecord * kWriters));
}

}  // namespace

std::vector<BugProgram> violation_programs() {
  using K = weft::BugKind;
  constexpr const char* kConVul = "ConVul/PERIOD";
  constexpr const char* kLu = "Lu et al. 2008";
  std::vector<BugProgram> p;
  p.push_back({"use_after_free", kConVul, [] { use_after_free(true); }, K::AssertionFailure,
               [] { use_after_free(false); }});
  p.push_back({"null_after_close", kLu, [] { null_after_close(true); }, K::AssertionFailure,
               [] { null_after_close(false); }});
  p.push_back({"double_free", kConVul, [] { double_free(true); }, K::AssertionFailure,
               [] { double_free(false); }});
  p.push_back({"order_violation", kLu, [] { order_violation(true); }, K::AssertionFailure,
               [] { order_violation(false); }});
  p.push_back({"double_checked_locking", kConVul, [] { double_checked_locking(true); }, K::DataRace,
               [] { double_checked_locking(false); }});
  p.push_back({"lazy_init", kConVul, [] { lazy_init(true); }, K::AssertionFailure,
               [] { lazy_init(false); }});
  p.push_back({"stringbuffer", "SCTBench CB", [] { stringbuffer(true); }, K::UncaughtException,
               [] { stringbuffer(false); }});
  p.push_back({"apache_log", kLu, [] { apache_log(true); }, K::AssertionFailure,
               [] { apache_log(false); }});
  return p;
}

}  // namespace bugsuite
