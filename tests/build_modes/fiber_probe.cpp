// A model thread reads a local of a function that has returned: AddressSanitizer must report
// the stack-use-after-return, on the fiber's stack. Run by sanitize.sh, which expects the
// report: the suite passing under ASan shows only that fibers cause no false reports, not
// that ASan still sees into them.
#include <cstdio>

#include <weft/weft.hpp>

namespace {

int* escaped = nullptr;

[[gnu::noinline]] void keep(int* p) { escaped = p; }

[[gnu::noinline]] void leave_a_pointer_to_a_local() {
  int local[4] = {1, 2, 3, 4};
  keep(local);
}

}  // namespace

int main() {
  weft::Options options;
  options.iterations = 1;
  weft::explore(
      [] {
        weft::Thread t([] {
          leave_a_pointer_to_a_local();
          std::printf("read %d\n", escaped[1]);
        });
        t.join();
      },
      options);
  std::puts("fiber_probe: no report");
  return 0;
}
