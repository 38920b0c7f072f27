// Ownership of libuv handles (internal to the core).
//
// uv_close() is asynchronous: the loop may still touch the handle until the
// close callback runs, so the memory is freed there and never by the owner's
// destructor. Closing also stops the handle at once, so after reset() no other
// callback of the handle fires and its file descriptor may be closed.
#pragma once

#include <uv.h>

#include <memory>

#include "sora/loop.h"

namespace sora {

template <class H>
struct UvCloser {
  void operator()(H* h) const noexcept {
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* p) { delete reinterpret_cast<H*>(p); });
  }
};

template <class H>
using UvHandle = std::unique_ptr<H, UvCloser<H>>;

// A stopped timer on the process loop whose callbacks get `data`.
inline UvHandle<uv_timer_t> make_timer(void* data) {
  auto* t = new uv_timer_t;
  uv_timer_init(loop(), t);
  t->data = data;
  return UvHandle<uv_timer_t>(t);
}

}  // namespace sora
