// Harness: the records that `explore --jobs` workers send back through a pipe (runtime/src/
// wire.cpp), on any bytes: WireReader cuts them into records and decodes each. A corrupt record
// is a std::runtime_error (the worker is then treated as broken), never a crash or an
// allocation of what a length field claims. A decoded record encodes and decodes again to the
// same record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "wire.hpp"

namespace {

std::string encoded(const weft::detail::WireRecord& r) {
  std::string out;
  if (r.end) {
    weft::detail::append_end(out, r.exhausted, r.iteration, r.last);
  } else {
    weft::detail::append_record(out, r.iteration, r.result);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft::detail::WireReader reader;
  reader.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    while (const std::optional<weft::detail::WireRecord> r = reader.next()) {
      const std::string once = encoded(*r);
      weft::detail::WireReader again;
      again.feed(once);
      const std::optional<weft::detail::WireRecord> back = again.next();
      if (!back || encoded(*back) != once) std::abort();
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
