#include <weft/gtest.hpp>
#include <weft/weft.hpp>

TEST(InstalledWeft, ExploresFromGoogleTest) {
  WEFT_EXPECT_EXPLORE([] { weft::Thread([] {}).join(); });
  const weft::Report r = weft::explore([] {
    weft::Shared<int> n(0, "n");
    weft::Thread a([&] { n += 1; });
    n += 1;
    a.join();
  });
  EXPECT_NE(weft::to_json(r).find("\"kind\":\"LostUpdate\""), std::string::npos);
}
