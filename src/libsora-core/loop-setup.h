// Choosing the loop of this process (internal to the core). The supervisor
// runs short jobs on a private loop before it forks, so that workers start
// with a default loop no other process has touched.
#pragma once

#include <uv.h>

namespace sora {

// nullptr restores the default loop.
void set_loop(uv_loop_t* loop);

}  // namespace sora
