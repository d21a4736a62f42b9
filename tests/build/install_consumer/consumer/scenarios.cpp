#include <mutex>

#include <weft/scenario.hpp>
#include <weft/weft.hpp>

WEFT_SCENARIO("installed weft: locked counter") {
  weft::Mutex m;
  weft::Shared<int> n(0, "n");
  weft::Thread a([&] {
    std::lock_guard g(m);
    n += 1;
  });
  {
    std::lock_guard g(m);
    n += 1;
  }
  a.join();
  WEFT_ASSERT(n.load() == 2);
}
