// Moved to the public include/keyward/pcsc/monitor.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/monitor.h"  // IWYU pragma: export
