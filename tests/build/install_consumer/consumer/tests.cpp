#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <weft/doctest.hpp>
#include <weft/weft.hpp>

TEST_CASE("installed weft finds the lost update") {
  const weft::Report r = weft::explore([] {
    weft::Shared<int> n(0, "n");
    weft::Thread a([&] { n += 1; });
    n += 1;
    a.join();
  });
  CHECK(r.found(weft::BugKind::LostUpdate));
  WEFT_CHECK_EXPLORE([] { weft::Thread([] {}).join(); });
}
