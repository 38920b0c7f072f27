// [tls] and [listener NAME] read from a validated Config into the plain
// settings the listeners and TLS work with.
#pragma once

#include "libsora-net/listeners.h"
#include "libsora-net/tls.h"
#include "sora/config.h"

namespace sora {

TlsSettings tls_settings(const Config& config);

// Errors name FILE:LINE: [listener NAME] key (unix_mode, proxy_trusted).
Result<std::vector<ListenerSettings>> listener_settings(const Config& config);

// In the supervisor, before workers fork.
Result<std::vector<BoundSocket>> bind_listeners(const Config& config);

}  // namespace sora
