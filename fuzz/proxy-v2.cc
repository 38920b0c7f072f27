// libFuzzer target: the PROXY protocol v2 header parser, fed whole and in
// pieces the size of which the input chooses. The two must agree.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libsora-net/proxy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::size_t step = 1 + data[0] % 16;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  sora::ProxyParse whole = sora::parse_proxy_v2(input);

  sora::ProxyV2Parser parser;
  sora::ProxyParse piecewise;
  std::size_t pos = 0;
  while (pos < input.size()) {
    std::size_t n = std::min({step, parser.bytes_wanted(), input.size() - pos});
    if (n == 0) break;
    piecewise = parser.feed(input.substr(pos, n));
    pos += n;
    if (piecewise.state != sora::ProxyParse::State::need_more) break;
  }
  if (whole.state == sora::ProxyParse::State::done &&
      (piecewise.state != whole.state || piecewise.consumed != whole.consumed)) {
    std::abort();
  }
  return 0;
}
