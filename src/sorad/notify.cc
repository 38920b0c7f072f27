#include "sorad/notify.h"

#include "config.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace sora {

void notify_service_manager(const char* state) {
#ifdef HAVE_SYSTEMD
  sd_notify(0, state);
#else
  (void)state;
#endif
}

}  // namespace sora
