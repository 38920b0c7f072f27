// Service manager notifications (sd_notify), a no-op without libsystemd.
#pragma once

namespace sora {

// "READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..." as systemd expects.
void notify_service_manager(const char* state);

}  // namespace sora
