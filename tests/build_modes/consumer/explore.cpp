// weft::weft from a program's own main(), built at -O3: explore() finds the lost update, and
// the same body outside explore() runs on real threads. Exit status 0 when both hold.
#include <cstdio>

#include <weft/weft.hpp>

namespace {

void two_increments() {
  weft::Shared<int> n(0, "n");
  weft::Thread a([&] { n += 1; });
  n += 1;
  a.join();
}

}  // namespace

int main() {
  const weft::Report r = weft::explore(two_increments);
  if (!r.found(weft::BugKind::LostUpdate)) {
    std::fprintf(stderr, "explore did not find the lost update:\n%s\n", r.summary().c_str());
    return 1;
  }
  two_increments();  // outside explore: real threads
  std::puts("consumer_explore: lost update found; production run done");
  return 0;
}
